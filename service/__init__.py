"""The gRPC edge of the payments service: transport only, no business rules.

Modules, one concern each: `config` (environment → Settings), `auth` (API keys), `validation`
(protovalidate), `status` (errors → google.rpc.Status), `mapping` (protobuf ↔ domain),
`call_context` (the current CallContext), `draining` (calls in flight, refusals during a stop),
`servicer`, `interceptors`, `server`, `http` (the HTTP/JSON door), `composition` (the one
composition root and lifecycle, `running_service`) and `__main__` (`python -m service`).

Reuse contract (the HTTP/JSON gateway builds on these; all transport-neutral):

* `auth.ApiKeyAuthenticator(keys).authenticate(presented_key: str | None) -> str` returns the
  caller id (the key's configured caller name, else its fingerprint) or raises
  `auth.Unauthenticated` (a DomainError, reason API_KEY_MISSING or API_KEY_INVALID).
  `auth.key_from_metadata(pairs)` picks the key out of `x-api-key` or `authorization: Bearer …`
  (names case-insensitive, so HTTP headers work).
* `validation.validate(message)` raises `validation.RequestInvalid` (an InvalidInput) listing
  every violated protovalidate rule.
* `status.to_rpc_status(exc) -> MappedStatus(code: grpc.StatusCode, status: status_pb2.Status)`
  for any exception: DomainErrors with ErrorInfo/BadRequest/RetryInfo, anything else a safe
  INTERNAL ("internal error; reference <uuid>"; log the exception with the same reference by
  passing `reference=status.new_reference()`).
* `call_context.current_call` (ContextVar) and `call_context.run_with_call(call, fn)`;
  `call_context.build_call(caller_id, request_id, remaining_seconds,
  default_deadline_seconds=…)` makes the CallContext (the default deadline when none is set).
* `servicer.PaymentServicer`: `await servicer.CreateCustomer(request, None)` etc.; the context
  argument is never used, everything comes from `current_call`. Domain errors propagate.
* The RPCs: `payments_pb2.DESCRIPTOR.services_by_name["PaymentService"].methods` gives each
  method's name (= servicer method name), input type and google.api.http option.
* `composition.build_service(settings)` wires everything; its `Service.servicer` and
  `Service.authenticator` are the instances to share.

An HTTP handler therefore does: key = key_from_metadata(headers.items()); caller =
authenticator.authenticate(key); validate(request); call = build_call(caller, request_id,
remaining); response = await run_with_call(call, lambda: servicer.X(request, None)); on any
exception, to_rpc_status(exc) → HTTP status from the code, body = the Status as JSON.
"""
