package stage_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/idv-oss/idv/consumers/stage"
	"github.com/idv-oss/idv/infra/broker"
	"github.com/idv-oss/idv/schemas"
)

// prime publishes n submitted events without waiting for each ack.
func prime(b *testing.B, f fixture, n int) {
	b.Helper()
	body := make([]byte, 256)
	for i := range n {
		id := fmt.Sprint("s", i)
		msg := &nats.Msg{Subject: schemas.Subject(schemas.TypeSessionSubmitted, id), Data: body, Header: nats.Header{
			broker.HeaderType: {schemas.TypeSessionSubmitted},
			broker.HeaderID:   {schemas.MsgID(schemas.TypeSessionSubmitted, id)},
			broker.HeaderTime: {time.Now().UTC().Format(time.RFC3339Nano)},
		}}
		if _, err := f.js.PublishMsgAsync(msg); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 || i == n-1 {
			select {
			case <-f.js.PublishAsyncComplete():
			case <-time.After(time.Minute):
				b.Fatal("publishing did not complete")
			}
		}
	}
}

// BenchmarkConsume compares settling messages with a plain ack, a
// confirmed ack (DoubleAck), and through Run (confirmed acks, four
// handlers, an empty handler), on a server that syncs every write as IDV
// runs it. Priming the stream is slow under that setting: run with a fixed
// count, e.g. -benchtime=50000x.
func BenchmarkConsume(b *testing.B) {
	for _, mode := range []string{"ack", "double-ack"} {
		b.Run(mode, func(b *testing.B) {
			f := setup(b)
			cons := f.consumer(b, 30*time.Second, 10)
			prime(b, f, b.N)
			iter, err := cons.Messages(jetstream.PullMaxMessages(64))
			if err != nil {
				b.Fatal(err)
			}
			defer iter.Stop()
			b.ResetTimer()
			for range b.N {
				msg, err := iter.Next()
				if err != nil {
					b.Fatal(err)
				}
				if mode == "ack" {
					err = msg.Ack()
				} else {
					err = msg.DoubleAck(context.Background())
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
	b.Run("run", func(b *testing.B) {
		f := setup(b)
		f.log = slog.New(slog.DiscardHandler)
		cons := f.consumer(b, 30*time.Second, 10)
		prime(b, f, b.N)
		var n atomic.Int64
		all := make(chan struct{})
		h := stage.HandlerFunc(func(context.Context, stage.Event) error {
			if n.Add(1) == int64(b.N) {
				close(all)
			}
			return nil
		})
		b.ResetTimer()
		stop := f.run(b, cons, h, stage.Config{Stage: testStage()})
		<-all
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		if err := stop(); err != nil {
			b.Fatal(err)
		}
	})
}
