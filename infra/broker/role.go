package broker

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/idv-oss/idv"
	"github.com/idv-oss/idv/schemas"
)

// The roles besides the stages'. Every stage is a role of its own, named
// after it (and its durable consumer).
const (
	// RoleOperator manages stream IDV and its consumers (`idv migrate`,
	// `idv dev` at start): the JetStream API, and nothing on the stream's
	// subjects.
	RoleOperator = "operator"
	// RoleRelay is the outbox relay, the one publisher to stream IDV.
	RoleRelay = "relay"
)

// Role is one user of the broker and all it may do: publish to Publish and
// subscribe to Subscribe (NATS subject patterns). The server refuses
// everything else, so whoever holds a stage's credentials can neither
// publish an event nor read or settle another stage's messages
// (docs/design.md invariant 8).
type Role struct {
	Name      string
	Publish   []string
	Subscribe []string
}

// apiInfo is JetStream's account information request; Connect makes it to
// check that JetStream is there, so every role may.
const apiInfo = "$JS.API.INFO"

// InboxPrefix is the prefix of role's reply subjects. Replies — JetStream's
// answers, pulled messages, publish acknowledgements — go to inboxes under
// it, and a role may subscribe only there: with the default _INBOX.> any
// user could listen to every other's replies, the messages pulled by
// other stages among them.
func InboxPrefix(role string) string { return "_INBOX_IDV." + role }

// roleName is what a role's name may be: it is a subject token and a file
// name.
var roleName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

// Roles are the broker's users for a pipeline of stages: the operator, the
// relay and one per stage, each with the permissions derived here and
// nowhere else. A stage may read its own consumer's info, pull from it and
// settle (ack, nak, term, progress) what it pulled — the consumer the
// broker adapter declares for it (ConsumerConfig), named after the stage —
// and nothing else: no publish to the stream, no other consumer, no
// stream or consumer management; the operator declares those beforehand.
func Roles(stages ...idv.Stage) ([]Role, error) {
	roles := []Role{
		{Name: RoleOperator, Publish: []string{"$JS.API.>"}},
		{Name: RoleRelay, Publish: append([]string{apiInfo}, schemas.StreamSubjects...)},
	}
	for _, s := range stages {
		durable := ConsumerConfig(s).Durable
		roles = append(roles, Role{Name: s.Name, Publish: []string{
			apiInfo,
			"$JS.API.CONSUMER.INFO." + StreamName + "." + durable,
			"$JS.API.CONSUMER.MSG.NEXT." + StreamName + "." + durable,
			// Acknowledgements go to the reply subject of each delivery:
			// $JS.ACK.<stream>.<consumer>.… and, in the server's optional
			// second format, $JS.ACK.<domain>.<account hash>.<stream>.<consumer>.….
			"$JS.ACK." + StreamName + "." + durable + ".>",
			"$JS.ACK.*.*." + StreamName + "." + durable + ".>",
		}})
	}
	seen := map[string]bool{}
	for i, r := range roles {
		if !roleName.MatchString(r.Name) {
			return nil, fmt.Errorf("%w: broker role %q: want lower-case letters, digits, - and _", ErrConfig, r.Name)
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("%w: broker role %q named twice (a stage may not be called operator or relay)", ErrConfig, r.Name)
		}
		seen[r.Name] = true
		roles[i].Subscribe = []string{InboxPrefix(r.Name) + ".>"}
	}
	return roles, nil
}

// RoleNames are the names of roles, in order.
func RoleNames(roles []Role) []string {
	names := make([]string, 0, len(roles))
	for _, r := range roles {
		names = append(names, r.Name)
	}
	return slices.Clip(names)
}
