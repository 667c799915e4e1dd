package deploy

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// namespace is where kustomization.yaml puts everything.
const namespace = "idv"

// selector is a Kubernetes label selector.
type selector struct {
	MatchLabels      map[string]string `yaml:"matchLabels"`
	MatchExpressions []struct {
		Key      string   `yaml:"key"`
		Operator string   `yaml:"operator"`
		Values   []string `yaml:"values"`
	} `yaml:"matchExpressions"`
}

// matches reports whether labels satisfy s; an empty selector matches all.
func (s *selector) matches(labels map[string]string) bool {
	for k, v := range s.MatchLabels {
		if labels[k] != v {
			return false
		}
	}
	for _, e := range s.MatchExpressions {
		v, ok := labels[e.Key]
		switch e.Operator {
		case "In":
			if !ok || !slices.Contains(e.Values, v) {
				return false
			}
		case "NotIn":
			if ok && slices.Contains(e.Values, v) {
				return false
			}
		case "Exists":
			if !ok {
				return false
			}
		case "DoesNotExist":
			if ok {
				return false
			}
		default:
			return false
		}
	}
	return true
}

type peer struct {
	PodSelector       *selector `yaml:"podSelector"`
	NamespaceSelector *selector `yaml:"namespaceSelector"`
	IPBlock           *struct {
		CIDR   string   `yaml:"cidr"`
		Except []string `yaml:"except"`
	} `yaml:"ipBlock"`
}

type policyPort struct {
	Protocol string `yaml:"protocol"`
	Port     any    `yaml:"port"`
}

type rule struct {
	From  []peer       `yaml:"from"`
	To    []peer       `yaml:"to"`
	Ports []policyPort `yaml:"ports"`
}

type networkPolicy struct {
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		PodSelector selector `yaml:"podSelector"`
		PolicyTypes []string `yaml:"policyTypes"`
		Ingress     []rule   `yaml:"ingress"`
		Egress      []rule   `yaml:"egress"`
	} `yaml:"spec"`
}

// endpoint is one end of a connection: a pod (its namespace and labels)
// or an address outside the cluster.
type endpoint struct {
	name      string
	namespace string
	labels    map[string]string
	ip        netip.Addr
}

func (e endpoint) pod() bool { return e.labels != nil }

// matches reports whether p, in a policy of namespace, names e.
func (p peer) matches(e endpoint) bool {
	if p.IPBlock != nil {
		if e.pod() {
			return false // pod addresses are the plugin's business; IDV's policies name pods by label
		}
		cidr, err := netip.ParsePrefix(p.IPBlock.CIDR)
		if err != nil || !cidr.Contains(e.ip) {
			return false
		}
		for _, x := range p.IPBlock.Except {
			if ex, err := netip.ParsePrefix(x); err == nil && ex.Contains(e.ip) {
				return false
			}
		}
		return true
	}
	if !e.pod() {
		return false
	}
	if p.NamespaceSelector != nil {
		if !p.NamespaceSelector.matches(map[string]string{"kubernetes.io/metadata.name": e.namespace}) {
			return false
		}
	} else if e.namespace != namespace {
		return false
	}
	return p.PodSelector == nil || p.PodSelector.matches(e.labels)
}

// allows reports whether r lets traffic to or from other on port.
func (r rule) allows(peers []peer, other endpoint, proto string, port int) bool {
	if len(r.Ports) > 0 && !slices.ContainsFunc(r.Ports, func(p policyPort) bool {
		return first(p.Protocol, "TCP") == proto && p.Port == port
	}) {
		return false
	}
	return len(peers) == 0 || slices.ContainsFunc(peers, func(p peer) bool { return p.matches(other) })
}

func first(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// permitted reports whether policies let from open a connection to to on
// port: the source's egress and, for a pod of the namespace, the
// destination's ingress. A pod no policy of a direction selects is not
// isolated in that direction.
func permitted(policies []networkPolicy, from, to endpoint, proto string, port int) bool {
	side := func(e endpoint, dir string, other endpoint) bool {
		if !e.pod() || e.namespace != namespace {
			return true // outside these policies' reach
		}
		isolated := false
		for _, p := range policies {
			if !p.Spec.PodSelector.matches(e.labels) || !slices.Contains(p.Spec.PolicyTypes, dir) {
				continue
			}
			isolated = true
			rules := p.Spec.Egress
			if dir == "Ingress" {
				rules = p.Spec.Ingress
			}
			for _, r := range rules {
				peers := r.To
				if dir == "Ingress" {
					peers = r.From
				}
				if r.allows(peers, other, proto, port) {
					return true
				}
			}
		}
		return !isolated
	}
	return side(from, "Egress", to) && side(to, "Ingress", from)
}

// policiesAndPods reads the NetworkPolicies and the pods every Deployment,
// Job and StatefulSet runs, by name.
func policiesAndPods(t *testing.T) ([]networkPolicy, map[string]endpoint) {
	t.Helper()
	var policies []networkPolicy
	pods := map[string]endpoint{}
	for _, o := range manifests(t) {
		switch o.Kind {
		case "NetworkPolicy":
			var p networkPolicy
			if err := yaml.Unmarshal([]byte(o.raw), &p); err != nil {
				t.Fatalf("%s: NetworkPolicy %s: %v", o.file, o.Metadata.Name, err)
			}
			for _, r := range slices.Concat(p.Spec.Ingress, p.Spec.Egress) {
				for _, pp := range r.Ports {
					if _, ok := pp.Port.(int); !ok {
						t.Errorf("NetworkPolicy %s: port %v, want a number (these tests read numbers only)", p.Metadata.Name, pp.Port)
					}
				}
			}
			policies = append(policies, p)
		case "Deployment", "Job", "StatefulSet":
			labels := o.Spec.Template.Metadata.Labels
			if labels == nil {
				t.Fatalf("%s %s: pods without labels", o.Kind, o.Metadata.Name)
			}
			pods[o.Metadata.Name] = endpoint{name: o.Metadata.Name, namespace: namespace, labels: labels}
		}
	}
	return policies, pods
}

// TestNetworkPolicies checks who may reach whom under the policies of
// network.yaml, as Kubernetes would decide it: nothing that no policy
// allows; NATS's client port from the pods that play a broker role only,
// its routes from its own pods; PostgreSQL and the store from IDV's
// processes; webhooks to public HTTPS from the notifier only.
func TestNetworkPolicies(t *testing.T) {
	t.Parallel()
	policies, pods := policiesAndPods(t)
	var denyAll bool
	for _, p := range policies {
		if len(p.Spec.PodSelector.MatchLabels)+len(p.Spec.PodSelector.MatchExpressions) == 0 && len(p.Spec.Ingress)+len(p.Spec.Egress) == 0 &&
			slices.Contains(p.Spec.PolicyTypes, "Ingress") && slices.Contains(p.Spec.PolicyTypes, "Egress") {
			denyAll = true
		}
	}
	if !denyAll {
		t.Fatal("no NetworkPolicy denying all ingress and egress in the namespace by default")
	}
	nats, ok := pods["idv-nats"]
	if !ok {
		t.Fatal("no pods idv-nats")
	}
	ext := func(ip string) endpoint { return endpoint{name: ip, ip: netip.MustParseAddr(ip)} }
	var (
		mainDB    = ext("192.0.2.10")
		keyStore  = ext("192.0.2.11")
		store     = ext("192.0.2.20")
		public    = ext("203.0.113.7")
		metadata  = ext("169.254.169.254")
		private   = ext("10.1.2.3")
		stranger  = endpoint{name: "another pod of the namespace", namespace: namespace, labels: map[string]string{"app": "other"}}
		outsider  = endpoint{name: "a pod of another namespace", namespace: "default", labels: map[string]string{"app.kubernetes.io/name": "idv-relay"}}
		dns       = endpoint{name: "kube-dns", namespace: "kube-system", labels: map[string]string{"k8s-app": "kube-dns"}}
		prometheu = endpoint{name: "prometheus", namespace: "monitoring", labels: map[string]string{"app": "prometheus"}}
	)
	type conn struct {
		from, to endpoint
		proto    string
		port     int
		want     bool
	}
	var conns []conn
	for name, p := range pods {
		role := p.labels["idv-oss.github.io/broker-role"]
		process := name != "idv-nats"
		if process != (p.labels["app.kubernetes.io/component"] == "process") {
			t.Errorf("%s: label app.kubernetes.io/component %q", name, p.labels["app.kubernetes.io/component"])
		}
		conns = append(conns,
			conn{p, nats, "TCP", 4222, role != ""},
			conn{p, nats, "TCP", 6222, !process},
			conn{p, nats, "TCP", 8222, false},
			conn{p, mainDB, "TCP", 5432, process},
			conn{p, keyStore, "TCP", 5432, process},
			conn{p, store, "TCP", 443, process},
			conn{p, public, "TCP", 443, name == "idv-worker-notify"},
			conn{p, public, "TCP", 80, false},
			conn{p, metadata, "TCP", 80, false},
			conn{p, private, "TCP", 443, false},
			conn{p, dns, "UDP", 53, true},
			conn{p, public, "UDP", 53, false},
			conn{stranger, p, "TCP", 9090, false},
			conn{prometheu, p, "TCP", 9090, process},
			conn{outsider, p, "TCP", 8080, name == "idv-api"},
		)
		for other := range pods {
			if other != name && other != "idv-nats" && name != "idv-nats" {
				conns = append(conns, conn{p, pods[other], "TCP", 9090, false})
			}
		}
	}
	conns = append(conns,
		conn{stranger, nats, "TCP", 4222, false},
		conn{outsider, nats, "TCP", 4222, false},
		conn{stranger, mainDB, "TCP", 5432, false},
		conn{stranger, store, "TCP", 443, false},
		conn{stranger, public, "TCP", 443, false},
	)
	for _, c := range conns {
		if got := permitted(policies, c.from, c.to, c.proto, c.port); got != c.want {
			verb := map[bool]string{true: "reaches", false: "does not reach"}
			t.Errorf("%s %s %s on %s/%d; want the opposite", c.from.name, verb[got], c.to.name, c.proto, c.port)
		}
	}
}

// TestBrokerAccess checks that each pod that plays a broker role (its
// part's Role: the relay, each worker as its stage, the migrate Job as the
// operator) says so in its label and mounts that role's key and no other, with the CA,
// where the ConfigMap's IDV_NATS_NKEY_DIR and IDV_NATS_TLS_CA point, readable
// by its user; and that the API and retention get no key.
func TestBrokerAccess(t *testing.T) {
	t.Parallel()
	objs := manifests(t)
	cm := find(objs, "ConfigMap", "idv-config")
	if cm == nil {
		t.Fatal("no ConfigMap idv-config")
	}
	keyDir, ca := cm.Data["IDV_NATS_NKEY_DIR"], cm.Data["IDV_NATS_TLS_CA"]
	if keyDir == "" || !strings.HasPrefix(ca, keyDir+"/") || !strings.HasPrefix(cm.Data["IDV_NATS_URL"], "tls://") {
		t.Fatalf("idv-config: IDV_NATS_NKEY_DIR %q, IDV_NATS_TLS_CA %q, IDV_NATS_URL %q: want the CA beside the keys and tls://",
			keyDir, ca, cm.Data["IDV_NATS_URL"])
	}
	n := 0
	for _, o := range objs {
		if o.Kind != "Deployment" && o.Kind != "Job" {
			continue
		}
		spec := o.Spec.Template.Spec
		i := slices.IndexFunc(Parts, func(p Part) bool { return p.Object() == o.Metadata.Name })
		if i < 0 {
			continue // TestDeployments says so
		}
		role := Parts[i].Role
		where := o.Kind + " " + o.Metadata.Name
		if got := o.Spec.Template.Metadata.Labels["idv-oss.github.io/broker-role"]; got != role {
			t.Errorf("%s: label idv-oss.github.io/broker-role %q, want %q", where, got, role)
		}
		// Every Secret item the pod mounts from the broker's Secrets.
		var items []string
		volume := ""
		for _, v := range spec.Volumes {
			var sources []*volumeSource
			if v.Secret != nil {
				sources = append(sources, v.Secret)
			}
			if v.Projected != nil {
				for _, s := range v.Projected.Sources {
					if s.Secret != nil {
						sources = append(sources, s.Secret)
					}
				}
			}
			for _, s := range sources {
				if !strings.HasPrefix(s.Name, "idv-nats-") {
					continue
				}
				volume = v.Name
				if len(s.Items) == 0 {
					items = append(items, s.Name+"/*")
				}
				for _, it := range s.Items {
					items = append(items, s.Name+"/"+it.Key+"→"+it.Path)
				}
			}
		}
		slices.Sort(items)
		if role == "" {
			if len(items) > 0 {
				t.Errorf("%s plays no broker role and mounts %v", where, items)
			}
			continue
		}
		n++
		want := []string{"idv-nats-nkeys/" + role + ".nk→" + role + ".nk", "idv-nats-tls/ca.crt→ca.crt"}
		if !slices.Equal(items, want) {
			t.Errorf("%s mounts %v, want only %v", where, items, want)
		}
		mounted := slices.ContainsFunc(spec.Containers[0].VolumeMounts, func(m struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			ReadOnly  bool   `yaml:"readOnly"`
		}) bool {
			return m.Name == volume && m.MountPath == keyDir && m.ReadOnly
		})
		if !mounted {
			t.Errorf("%s: volume %q not mounted read-only at %s", where, volume, keyDir)
		}
		if g := spec.SecurityContext.FSGroup; g == nil || spec.SecurityContext.RunAsGroup == nil || *g != *spec.SecurityContext.RunAsGroup {
			t.Errorf("%s: fsGroup %v, want the group it runs as, which reads the keys", where, g)
		}
	}
	_, stages := commands(t)
	if n != len(stages)+2 {
		t.Errorf("%d pods play a broker role, want the relay, the migrate Job and a worker per stage (%d)", n, len(stages)+2)
	}
}
