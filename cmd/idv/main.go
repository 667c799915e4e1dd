// Command idv is IDV's one binary: `idv dev` runs everything in one process
// for a first look; the other subcommands run one part each, as production
// does, or administer it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/idv-oss/idv/internal/gcdefaults"
)

const usage = `usage: idv <command> [flags]

commands:
  dev        run the whole system in one process and a demo verification
  api        serve the HTTP API
  relay      publish the outbox to NATS JetStream
  retention  request the wipe of expired sessions; destroy spent epoch keys
  worker     run pipeline stages: idv worker doccheck decision notify (or: all)
  migrate    prepare what the parts need: both databases' migrations, the S3 bucket and its
             lifecycle backstop, the JetStream stream and consumers; a second run changes nothing
  doctor     check the configuration, every dependency and its version, the clocks, the broker
             roles and the tenants' webhook URLs, one line each; non-zero exit if any failed
  broker     idv broker keys --dir DIR: an nkey per broker role, and the NATS servers' users.conf
  tenant     idv tenant create --name N --webhook-url U --retention-days D --fields f1,f2
             idv tenant set-retention --tenant ID --days D
             idv tenant policy show|set --tenant ID [--minimum-age 18 ...]
             idv tenant keys list|create|revoke|rotate --tenant ID [--key KEY_ID] [--overlap 24h]
             idv tenant webhook show|set-url|rotate-secret --tenant ID [--url U] [--overlap 24h]
             idv tenant offboard --tenant ID --recipient PUBKEY --export DIR
             idv tenant offboard --tenant ID --delete --confirm ID [--no-export]
  offboard   the tenant's side: idv offboard keygen --out DIR; idv offboard open --key FILE --in ARCHIVE --out DIR
  audit      idv audit verify --tenant ID: recompute the tenant's audit hash chain
  vault      idv vault rotate-master [--batch N]: re-seal under IDV_MASTER_KEY what IDV_MASTER_KEYS_OLD sealed; idv vault keys
  breach     idv breach open|update|notify|list: the breach register; notifies affected tenants
  support    idv support grant|revoke|list|read-session: time-boxed (≤ 24 h), audited support access
  subprocessors  idv subprocessors list|sync: announce new register entries to every tenant
  capture    act as the app: seal, upload and submit captures for one session
  card       idv card [--mrz-file F] [--out card.jpg]: a photo of a generated document bearing the MRZ
             (default: a specimen's), for idv capture; the MRZ goes to stdout
  keygen     print a new IDV_MASTER_KEY
  eval       idv eval synth|facematch|liveness: measure the face engine (FAR/FRR tables);
             idv eval mrz: the MRZ read from photos, per degradation
  loadgen    drive N verifications through the whole system (in this process, or with
             -workers N in worker processes); latency, throughput

Configuration is read from IDV_… environment variables; see docs/operating.md.
`

func main() {
	gcdefaults.Apply(os.Getenv, gcdefaults.CgroupLimit)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "idv:", err)
		}
		os.Exit(1)
	}
}

// run parses the command line and runs one subcommand until it ends or ctx
// is cancelled.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return nil
	}
	cmd, rest := args[0], args[1:]
	if devEnvCommands[cmd] {
		// Run in the repository against idv dev, they need no settings.
		var note string
		var err error
		if getenv, note, err = withDevEnv(getenv); err != nil {
			return err
		}
		if note != "" {
			fmt.Fprintln(stderr, note)
		}
	}
	if cmd == "doctor" {
		// It reports a configuration that does not parse as a check.
		return runDoctor(ctx, rest, getenv, stdout)
	}
	cfg, err := parseConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogFormat)
	switch cmd {
	case "dev":
		return runDev(ctx, rest, cfg, stdout, stderr, log)
	case "api":
		return runAPI(ctx, cfg, log)
	case "relay":
		return runRelay(ctx, cfg, log)
	case "retention":
		return runRetention(ctx, cfg, log)
	case "worker":
		return runWorker(ctx, rest, cfg, log)
	case "migrate":
		return runMigrate(ctx, cfg, stdout)
	case "broker":
		return runBroker(rest, stdout, stderr)
	case "tenant":
		return runTenant(ctx, rest, cfg, stdout, stderr)
	case "vault":
		return runVault(ctx, rest, cfg, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, cfg, stdout, stderr)
	case "breach":
		return runBreach(ctx, rest, cfg, stdout, stderr)
	case "support":
		return runSupport(ctx, rest, cfg, stdout, stderr)
	case "subprocessors":
		return runSubprocessors(ctx, rest, cfg, stdout)
	case "capture":
		return runCapture(ctx, rest, getenv, stdout, stderr)
	case "card":
		return runCard(rest, stdout, stderr)
	case "offboard":
		return runOffboard(rest, stdout, stderr)
	case "keygen":
		return runKeygen(stdout)
	case "eval":
		return runEval(rest, cfg, stdout, stderr)
	case "loadgen":
		return runLoadgen(ctx, rest, cfg, stdout, stderr)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
