"""The edge of the payments service, transport only: `config`, `composition` (the root and the
lifecycle), `gate` (what every call goes through), `api` (the RPCs, transport-free), `errors`
(the one vocabulary), `auth`, `validation`, `draining`, `mapping` (protobuf ↔ domain), `server`
(the gRPC door), `http` (the HTTP/JSON door). docs/architecture.md follows one call through them.
"""
