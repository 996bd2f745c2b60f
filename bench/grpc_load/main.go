// Closed-loop gRPC load from a process of its own, for the benchmarks: `in-flight` workers each
// calling GetPaymentStatus in a loop, for a time or a number of calls, then one JSON line on
// stdout (calls, errors, latencies, own CPU). What bench/load_clients.py does for its HTTP kinds,
// in Go: a Python grpc.aio load process costs ~0.3-0.4 ms of CPU a call, taken from the cores
// the service being measured shares with it; this one costs a fraction of that.
//
//	grpc_load --target HOST:PORT --ids-file F [--in-flight 64] [--seconds S] [--calls N]
//	          [--expect-status OPEN]
//	          (one of --seconds and --calls at least: whichever ends first; the API key in
//	          $BENCH_PAYMENTS_API_KEY, sent as x-api-key metadata: not in argv, which ps shows;
//	          --expect-status: a PaymentStatus name without its PAYMENT_STATUS_ prefix)
//	grpc_load --version
//
// Built by tools/go_client.sh (make go-client) from the stubs it generates. Worker w asks about
// ids[w], ids[w+in-flight], … in turn, so no two calls in flight share an id (the service lets
// concurrent calls for one id share one Stripe read). Every answer is checked (gRPC OK, the
// status --expect-status names, OPEN unless told); a wrong one counts as an error, never as a
// call. The output line is the one bench/load_clients.py prints (its Outcome): the same fields,
// the same nearest-rank percentiles.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	paymentsv1 "paymentsclient/gen/payments/v1"
)

const (
	apiKeyVariable = "BENCH_PAYMENTS_API_KEY" // bench/benchlib.py's GRPC_LOAD_KEY_VARIABLE
	callTimeout    = 10 * time.Second         // each call's deadline, sent as grpc-timeout
	keptErrors     = 3
	errorLength    = 300     // characters of each kept error
	flowWindow     = 1 << 20 // bytes, of each stream and of the connection: see run
)

type options struct {
	target, idsFile string
	inFlight        int
	seconds         float64 // when timed
	timed           bool    // --seconds given
	calls           int64   // -1: no count
	expect          paymentsv1.PaymentStatus
}

func main() {
	opts, code := parseArgs()
	if code >= 0 {
		os.Exit(code)
	}
	// One thread runs the goroutines (unless $GOMAXPROCS says otherwise): the workers, gRPC's
	// reader and writer hand each call to one another, and across threads every hand-off is a
	// futex wake-up; measured on 2 cores, ~15 % less CPU a call. At ~0.14 ms a call, one core
	// makes ~7,000 calls/s, several times the fastest server here (the minimal gateway, ~1,600).
	if _, set := os.LookupEnv("GOMAXPROCS"); !set {
		runtime.GOMAXPROCS(1)
	}
	apiKey, ok := os.LookupEnv(apiKeyVariable)
	if !ok {
		fail(2, "no API key: set $%s", apiKeyVariable)
	}
	ids, err := readIds(opts.idsFile)
	if err != nil {
		fail(1, "%v", err)
	}
	own, err := share(ids, opts.inFlight)
	if err != nil {
		fail(1, "%v", err)
	}
	fmt.Println(run(opts, apiKey, own).line())
}

func fail(code int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "grpc_load: "+format+"\n", args...)
	os.Exit(code)
}

// parseArgs reads the flags; code >= 0: exit with it (a usage error, or --version printed).
func parseArgs() (options, int) {
	opts := options{calls: -1}
	var expect string
	version := flag.Bool("version", false, "print the Go and grpc-go versions, and exit")
	flag.StringVar(&opts.target, "target", "", "the service's gRPC door, host:port")
	flag.StringVar(&opts.idsFile, "ids-file", "", "payment ids, whitespace-separated")
	flag.IntVar(&opts.inFlight, "in-flight", 64, "workers, each with one call in flight")
	flag.Float64Var(&opts.seconds, "seconds", 0, "stop after this long")
	flag.Int64Var(&opts.calls, "calls", -1, "stop after this many calls")
	flag.StringVar(&expect, "expect-status", "OPEN",
		"the status every answer must have, without PAYMENT_STATUS_: "+statusNames())
	flag.Parse()
	flag.Visit(func(given *flag.Flag) { opts.timed = opts.timed || given.Name == "seconds" })
	if *version {
		fmt.Printf("grpc_load %s, grpc-go %s\n", runtime.Version(), grpc.Version)
		return opts, 0
	}
	switch {
	case opts.target == "" || opts.idsFile == "":
		fmt.Fprintln(os.Stderr, "grpc_load: --target and --ids-file are required")
	case !opts.timed && opts.calls < 0:
		fmt.Fprintln(os.Stderr, "grpc_load: give --seconds, --calls (0 or more) or both")
	case opts.inFlight < 1 || flag.NArg() > 0:
		fmt.Fprintln(os.Stderr, "grpc_load: --in-flight must be 1 at least; no other arguments")
	case !known(expect, &opts.expect):
		fmt.Fprintf(os.Stderr, "grpc_load: --expect-status %q: one of %s\n", expect, statusNames())
	default:
		return opts, -1
	}
	flag.Usage()
	return opts, 2
}

const statusPrefix = "PAYMENT_STATUS_"

// known sets *status to the PaymentStatus called statusPrefix + name, if there is one.
func known(name string, status *paymentsv1.PaymentStatus) bool {
	value, ok := paymentsv1.PaymentStatus_value[statusPrefix+name]
	*status = paymentsv1.PaymentStatus(value)
	return ok
}

// statusNames lists the names --expect-status takes, in the enum's order.
func statusNames() string {
	values := make([]int, 0, len(paymentsv1.PaymentStatus_name))
	for value := range paymentsv1.PaymentStatus_name {
		values = append(values, int(value))
	}
	sort.Ints(values)
	names := make([]string, len(values))
	for i, value := range values {
		names[i] = strings.TrimPrefix(paymentsv1.PaymentStatus_name[int32(value)], statusPrefix)
	}
	return strings.Join(names, ", ")
}

func readIds(path string) ([]string, error) {
	text, err := os.ReadFile(path)
	return strings.Fields(string(text)), err
}

// share gives worker w ids[w], ids[w+inFlight], …
func share(ids []string, inFlight int) ([][]string, error) {
	if len(ids) < inFlight {
		return nil, fmt.Errorf("%d ids for %d workers: one each at least", len(ids), inFlight)
	}
	own := make([][]string, inFlight)
	for i, id := range ids {
		own[i%inFlight] = append(own[i%inFlight], id)
	}
	return own, nil
}

// --- the loop ------------------------------------------------------------------------------

// outcome is bench/load_clients.py's Outcome, field for field.
type outcome struct {
	calls, errors int64
	firstErrors   []string
	seconds       float64
	p50Ms, p99Ms  float64 // NaN: no call
	cpuSeconds    float64 // this process's user + system time while it called
}

// line is the outcome as load_clients.py prints it, json.dumps of its fields in their order
// (NaN as Python writes it: encoding/json refuses NaN), for the parent's json.loads.
func (o outcome) line() string {
	quoted := make([]string, len(o.firstErrors))
	for i, message := range o.firstErrors {
		text, err := json.Marshal(message)
		if err != nil {
			fail(1, "%v", err)
		}
		quoted[i] = string(text)
	}
	return fmt.Sprintf(`{"calls": %d, "errors": %d, "first_errors": [%s], "seconds": %s, `+
		`"p50_ms": %s, "p99_ms": %s, "cpu_seconds": %s}`, o.calls, o.errors,
		strings.Join(quoted, ", "),
		pyFloat(o.seconds), pyFloat(o.p50Ms), pyFloat(o.p99Ms), pyFloat(o.cpuSeconds))
}

// tally is what the workers found; latencies are kept per worker, merged at the end.
type tally struct {
	mu          sync.Mutex
	calls       int64
	errors      int64
	firstErrors []string
}

func (t *tally) failed(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.errors++
	if len(t.firstErrors) < keptErrors {
		t.firstErrors = append(t.firstErrors, truncated(describe(err), errorLength))
	}
}

func run(opts options, apiKey string, own [][]string) outcome {
	// One grpc.ClientConn: with one address and the default pick_first policy, one HTTP/2
	// connection that carries every worker's calls as streams, as load_clients.py's one
	// grpc.aio channel did (gRPC core: one subchannel, one connection); the calls beyond the
	// server's MAX_CONCURRENT_STREAMS, if any, wait on it as they did there. It connects in the
	// background and the first calls wait for it.
	// A fixed flow-control window instead of grpc-go's BDP estimation, which pings the server
	// after each ping's ack on the next data read, many times a second here (gRPC core's client
	// spaces its BDP pings out): those pings cost this process ~20 % of its CPU a call and the
	// service the answers. An answer is a few hundred bytes at most: a window of 1 MiB never
	// holds one back.
	conn, err := grpc.Dial(opts.target, grpc.WithInsecure(),
		grpc.WithInitialWindowSize(flowWindow), grpc.WithInitialConnWindowSize(flowWindow))
	if err != nil {
		fail(1, "%v", err)
	}
	ask := asker(paymentsv1.NewPaymentServiceClient(conn), apiKey, opts.expect)
	t := &tally{firstErrors: []string{}}
	latencies := make([][]float64, len(own))
	cpuBefore, started := ownCPUSeconds(), time.Now()
	more := bounded(started, opts.timed, opts.seconds, opts.calls)
	var done sync.WaitGroup
	for w := range own {
		done.Add(1)
		go func(w int) {
			defer done.Done()
			latencies[w] = worker(ask, own[w], t, more)
		}(w)
	}
	done.Wait()
	seconds := time.Since(started).Seconds()
	conn.Close()
	sorted := merged(latencies)
	return outcome{
		calls:       t.calls,
		errors:      t.errors,
		firstErrors: t.firstErrors,
		seconds:     seconds,
		p50Ms:       nearestRank(sorted, 50),
		p99Ms:       nearestRank(sorted, 99),
		cpuSeconds:  ownCPUSeconds() - cpuBefore,
	}
}

// worker asks about its ids in turn while more() says so; the latencies of its good calls.
func worker(ask func(id string) error, ids []string, t *tally, more func() bool) []float64 {
	var latencies []float64
	for turn := 0; more(); turn++ {
		started := time.Now()
		if err := ask(ids[turn%len(ids)]); err != nil {
			t.failed(err)
			continue
		}
		latencies = append(latencies, float64(time.Since(started).Nanoseconds())/1e6)
		atomic.AddInt64(&t.calls, 1)
	}
	return latencies
}

type wrongAnswer struct{ message string }

func (w wrongAnswer) Error() string { return w.message }

// asker makes one call about an id: GetPaymentStatus with the API key, its answer checked.
func asker(
	client paymentsv1.PaymentServiceClient, apiKey string, expect paymentsv1.PaymentStatus,
) func(id string) error {
	keyed := metadata.AppendToOutgoingContext(context.Background(), "x-api-key", apiKey)
	return func(id string) error {
		ctx, cancel := context.WithTimeout(keyed, callTimeout)
		defer cancel()
		answer, err := client.GetPaymentStatus(ctx, &paymentsv1.GetPaymentStatusRequest{Id: id})
		if err != nil {
			return err
		}
		if got := answer.GetStatus(); got != expect {
			return wrongAnswer{fmt.Sprintf("GetPaymentStatus %s: status %s, not %s", id, got, expect)}
		}
		return nil
	}
}

// describe is "<kind>: <message>", as load_clients.py writes "<exception type>: <message>".
func describe(err error) string {
	var wrong wrongAnswer
	if errors.As(err, &wrong) {
		return "WrongAnswer: " + wrong.message
	}
	if failure, ok := status.FromError(err); ok {
		return fmt.Sprintf("RpcError: %s: %s", failure.Code(), failure.Message())
	}
	return fmt.Sprintf("%T: %v", err, err)
}

func truncated(text string, characters int) string {
	runes := []rune(text)
	if len(runes) <= characters {
		return text
	}
	return string(runes[:characters])
}

// bounded says whether a worker makes one more call: yes `calls` times in all (-1: no count;
// exactly that many calls are made), and, when timed, only until `seconds` have passed since
// `started`.
func bounded(started time.Time, timed bool, seconds float64, calls int64) func() bool {
	deadline := started.Add(time.Duration(seconds * float64(time.Second)))
	left := calls
	return func() bool {
		if timed && !time.Now().Before(deadline) {
			return false
		}
		return calls < 0 || atomic.AddInt64(&left, -1) >= 0
	}
}

func merged(perWorker [][]float64) []float64 {
	var all []float64
	for _, latencies := range perWorker {
		all = append(all, latencies...)
	}
	sort.Float64s(all)
	return all
}

// nearestRank is load_clients.py's: the value at rank ceil(percent/100 * n), NaN if none.
func nearestRank(sorted []float64, percent float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	rank := int(math.Ceil(percent / 100 * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

func ownCPUSeconds() float64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		fail(1, "getrusage: %v", err)
	}
	seconds := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return seconds(usage.Utime) + seconds(usage.Stime)
}

// pyFloat writes a float as Python's json does: NaN, and always with a point or an exponent.
func pyFloat(v float64) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	text := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(text, ".e") {
		text += ".0"
	}
	return text
}
