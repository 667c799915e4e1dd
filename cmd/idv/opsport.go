package main

import "strconv"

// The default ops ports (/metrics, /healthz, /readyz), one per kind of
// process, so that parts run as separate processes on one host do not
// collide: the API 9090, the relay 9091, retention 9092, a worker of
// several stages (or all) 9093, and a worker of one stage its stage's port
// (stageOpsPort). IDV_OPS_ADDR overrides each; the table in
// docs/operating.md ("Ops ports") lists the same.
const (
	opsPortAPI       = 9090
	opsPortRelay     = 9091
	opsPortRetention = 9092
	opsPortWorkers   = 9093
)

// stageOpsPort is the default ops port of `idv worker STAGE` with that one
// stage. A stage added to the pipeline gets the next free port here; until
// then it falls back to opsPortWorkers, and TestOpsPorts fails.
func stageOpsPort(stage string) (int, bool) {
	switch stage {
	case "doccheck":
		return 9094, true
	case "facematch":
		return 9095, true
	case "liveness":
		return 9096, true
	case "decision":
		return 9097, true
	case "notify":
		return 9098, true
	case "wipe":
		return 9099, true
	}
	return opsPortWorkers, false
}

// defaultOpsAddr is the ops address of process name ("api", "relay",
// "retention", "worker") running stages, when IDV_OPS_ADDR is unset: every
// interface, on the process's port.
func defaultOpsAddr(name string, stages []string) string {
	port := opsPortWorkers
	switch name {
	case "api":
		port = opsPortAPI
	case "relay":
		port = opsPortRelay
	case "retention":
		port = opsPortRetention
	case "worker":
		if len(stages) == 1 {
			port, _ = stageOpsPort(stages[0])
		}
	}
	return ":" + strconv.Itoa(port)
}

// opsAddr is IDV_OPS_ADDR, else the default of process name running stages.
func (c config) opsAddr(name string, stages []string) string {
	return first(c.OpsAddr, defaultOpsAddr(name, stages))
}
