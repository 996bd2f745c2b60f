-- wrk script: POST /v1/customers with a Stripe-style form body and a test API key.
-- Usage: wrk -t2 -c64 -d10s -s bench/wrk_post_customers.lua http://127.0.0.1:PORT/v1/customers
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer sk_test_bench_0000000000000000"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "email=bench%40example.com&name=Bench+User&metadata[source]=wrk&metadata[run]=1"

