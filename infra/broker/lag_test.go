package broker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/schemas"
)

// gauges scrapes reg into "name{stage}" → value.
func gauges(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != 1 || m.GetLabel()[0].GetName() != "stage" {
				t.Fatalf("%s: labels %v, want stage only", f.GetName(), m.GetLabel())
			}
			out[f.GetName()+"{"+m.GetLabel()[0].GetValue()+"}"] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	return out
}

// The collector reports the broker's own view of a stage's consumer: what
// waits undelivered, what is out with a worker, what came back.
func TestConsumerCollector(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := t.Context()
	if _, err := broker.DeclareStream(ctx, f.js, dev); err != nil {
		t.Fatal(err)
	}
	if err := broker.DeclareConsumers(ctx, f.js, testStage("doccheck", schemas.TypeSessionSubmitted)); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(broker.NewConsumerCollector(map[string]jetstream.JetStream{"doccheck": f.js, "undeclared": f.js}))

	p := broker.NewPublisher(f.js)
	for i := range 5 {
		id := fmt.Sprintf("s%d", i)
		err := p.Publish(ctx, idv.Message{Subject: schemas.Subject(schemas.TypeSessionSubmitted, id),
			Type: schemas.TypeSessionSubmitted, MsgID: schemas.MsgID(schemas.TypeSessionSubmitted, id),
			Time: time.Now(), Body: []byte(`{"session_id":"` + id + `"}`)})
		if err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]float64{
		"idv_stage_consumer_pending{doccheck}": 5, "idv_stage_consumer_ack_pending{doccheck}": 0,
		"idv_stage_consumer_redelivered{doccheck}": 0, "idv_stage_consumer_info_errors_total{doccheck}": 0,
		"idv_stage_consumer_info_errors_total{undeclared}": 1,
	}
	// The server counts a stored message into its consumers' pending
	// asynchronously after the publish is acknowledged: under load the
	// first scrape can still miss one. Scrape until the count settles; the
	// undeclared consumer's error counter grows by one per scrape, so it
	// is compared on the last scrape only.
	var got map[string]float64
	for deadline := time.Now().Add(10 * time.Second); ; {
		got = gauges(t, reg)
		if got["idv_stage_consumer_pending{doccheck}"] == 5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	want["idv_stage_consumer_info_errors_total{undeclared}"] = got["idv_stage_consumer_info_errors_total{undeclared}"]
	if got["idv_stage_consumer_info_errors_total{undeclared}"] < 1 {
		t.Fatalf("the undeclared consumer's errors were not counted: %v", got)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after five publishes: %v, want %v", got, want)
	}

	// A worker takes all five and naks one, which is then the only one
	// that can be delivered again.
	cons, err := broker.Consumer(ctx, f.js, "doccheck")
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(5, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var taken []jetstream.Msg
	for m := range batch.Messages() {
		taken = append(taken, m)
	}
	if len(taken) != 5 {
		t.Fatalf("fetched %d messages, want 5", len(taken))
	}
	if err := taken[0].Nak(); err != nil {
		t.Fatal(err)
	}
	again, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for m := range again.Messages() {
		n++
		if md, _ := m.Metadata(); md == nil || md.NumDelivered != 2 {
			t.Fatalf("the refetched message is %+v, want the nakked one again", md)
		}
	}
	if n != 1 {
		t.Fatalf("refetched %d messages, want the nakked one", n)
	}
	got = gauges(t, reg)
	want["idv_stage_consumer_pending{doccheck}"] = 0
	want["idv_stage_consumer_ack_pending{doccheck}"] = 5
	want["idv_stage_consumer_redelivered{doccheck}"] = 1
	want["idv_stage_consumer_info_errors_total{undeclared}"]++
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("with five out and one redelivered: %v, want %v", got, want)
	}
}
