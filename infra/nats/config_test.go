// Package nats holds the production NATS server configuration; its test
// proves the file parses and syncs every JetStream write.
package nats

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

func TestProductionConfigSyncsEveryWrite(t *testing.T) {
	opts, err := server.ProcessConfigFile("nats-server.conf")
	if err != nil {
		t.Fatalf("nats-server.conf: %v", err)
	}
	if !opts.JetStream || !opts.SyncAlways {
		t.Fatalf("jetstream %v, sync always %v: want both", opts.JetStream, opts.SyncAlways)
	}
	if opts.Cluster.Name != "idv" || len(opts.Routes) != 3 {
		t.Fatalf("cluster %q with %d routes, want idv with 3", opts.Cluster.Name, len(opts.Routes))
	}
}
