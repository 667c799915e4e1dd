package deploy

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// stage returns the instructions of the Dockerfile's stage named name
// ("" for the last, unnamed one), its FROM first.
func stage(t *testing.T, ins []Instruction, name string) []Instruction {
	t.Helper()
	var out []Instruction
	for i, in := range ins {
		if in.Stage == name && (in.Cmd != "FROM" || len(out) == 0) {
			out = append(out, ins[i])
		}
	}
	if len(out) == 0 || out[0].Cmd != "FROM" {
		t.Fatalf("Dockerfile: no stage %q", name)
	}
	return out
}

// args finds the instructions of cmd in ins and returns their arguments.
func args(ins []Instruction, cmd string) []string {
	var out []string
	for _, in := range ins {
		if in.Cmd == cmd {
			out = append(out, in.Args)
		}
	}
	return out
}

func TestParseDockerfile(t *testing.T) {
	t.Parallel()
	ins := parseDockerfile("# syntax=docker/dockerfile:1\n\nFROM golang:1 AS build\nRUN CGO_ENABLED=1 go build \\\n  -trimpath -ldflags=\"-s -w\" \\\n  -o /out/idv ./cmd/idv\nFROM scratch\nUSER 1:1\n")
	want := []Instruction{{"build", "FROM", "golang:1 AS build"}, {"build", "RUN", `CGO_ENABLED=1 go build    -trimpath -ldflags="-s -w"    -o /out/idv ./cmd/idv`},
		{"", "FROM", "scratch"}, {"", "USER", "1:1"}}
	if !slices.Equal(ins, want) {
		t.Fatalf("parsed\n%q\nwant\n%q", ins, want)
	}
	b, err := readBuild(ins)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.Env, []string{"CGO_ENABLED=1"}) || !slices.Equal(b.Flags, []string{"-trimpath", "-ldflags=-s -w"}) ||
		b.Output != "/out/idv" || b.Package != "./cmd/idv" {
		t.Errorf("build %+v", b)
	}
	for _, bad := range []string{
		"FROM g AS build\nRUN go build -o /x ./cmd/idv && rm -rf /tmp\n", // two commands
		"FROM g AS build\nRUN go build ./cmd/idv\n",                      // no -o
		"FROM g AS other\nRUN go build -o /x ./cmd/idv\n",                // not in stage build
		"FROM g AS build\nRUN go build -o /x ./cmd/idv ./cmd/other\n",    // two packages
	} {
		if b, err := readBuild(parseDockerfile(bad)); err == nil {
			t.Errorf("%q: read as %+v", bad, b)
		}
	}
}

// TestDockerfile checks the image's Dockerfile, which no test here can
// build (no Docker): its go build is that of the tests — stage build runs
// one `go build` of ./cmd/idv with CGO on (the face engine loads ONNX
// Runtime with dlopen), which this test runs in a temporary directory and
// reads back with `go version -m`, and cmd/idv's TestLayout runs binaries
// built by the same line (ImageBuild); its Go is at least go.mod's; the
// face stage installs the engine's files with scripts/face-models.sh and
// the runtime stage carries them at FaceDir, the IDV_FACE_DIR the
// description gives the face parts; the runtime stage runs as a user that
// is not root, the runAsUser of every pod of the manifests, with `idv` on
// its PATH as the entrypoint; and the directory compose.yaml's
// broker-access writes the broker's keys into belongs to that user.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	ins := Instructions()
	build, face, final := stage(t, ins, "build"), stage(t, ins, "face"), stage(t, ins, "")
	if final[0].Args != "gcr.io/distroless/cc-debian12:nonroot" {
		t.Errorf("runtime stage FROM %s: want distroless/cc (glibc, libstdc++ and libgcc_s for ONNX Runtime; a user not root)", final[0].Args)
	}
	base, _, _ := strings.Cut(build[0].Args, " ")
	goImage := regexp.MustCompile(`^golang:(\d+)\.(\d+)-bookworm$`).FindStringSubmatch(base)
	goMod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)`).FindSubmatch(goMod)
	if goImage == nil || goLine == nil || goImage[1] != string(goLine[1]) || atoi(goImage[2]) < atoi(string(goLine[2])) {
		t.Errorf("stage build FROM %s: want golang:X.Y-bookworm (Debian 12, as the runtime stage) with Go at least go.mod's %s", base, goLine)
	}

	b, err := ImageBuild()
	if err != nil {
		t.Fatal(err)
	}
	if b.Package != "./cmd/idv" || !slices.Contains(b.Env, "CGO_ENABLED=1") {
		t.Errorf("the image builds %s with %v; want ./cmd/idv with CGO_ENABLED=1", b.Package, b.Env)
	}
	user := args(final, "USER")
	if len(user) != 1 {
		t.Fatalf("runtime stage: USER %v, want one", user)
	}
	uid, gid, _ := strings.Cut(user[0], ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("runtime stage: USER %s, want a numeric user that is not root (Kubernetes' runAsNonRoot checks a number)", user[0])
	}
	for _, o := range manifests(t) {
		sc := o.Spec.Template.Spec.SecurityContext
		if o.Kind != "Deployment" && o.Kind != "Job" {
			continue
		}
		if got := "unset"; sc.RunAsUser == nil || strconv.Itoa(*sc.RunAsUser) != uid {
			if sc.RunAsUser != nil {
				got = strconv.Itoa(*sc.RunAsUser)
			}
			t.Errorf("%s %s: runAsUser %s, want the image's user %s", o.Kind, o.Metadata.Name, got, uid)
		}
	}
	if ep := args(final, "ENTRYPOINT"); !slices.Equal(ep, []string{`["idv"]`}) {
		t.Errorf("runtime stage: ENTRYPOINT %v, want [\"idv\"]", ep)
	}
	copies := args(final, "COPY")
	if !slices.Contains(copies, "--from=build "+b.Output+" /usr/local/bin/idv") {
		t.Errorf("runtime stage: COPY %v; want the binary %s of stage build in /usr/local/bin/idv, on distroless's PATH", copies, b.Output)
	}
	workdir := args(face, "WORKDIR")
	if len(workdir) != 1 || !slices.Contains(args(face, "RUN"), "bash scripts/face-models.sh") ||
		!slices.Contains(copies, "--from=face "+workdir[0]+"/.idv/face "+FaceDir) {
		t.Errorf("stage face (WORKDIR %v, RUN %v) and COPY %v: want scripts/face-models.sh's .idv/face in %s", workdir, args(face, "RUN"), copies, FaceDir)
	}
	for _, p := range Parts {
		if p.Face && (clusterSite.Env(p)["IDV_FACE_DIR"] != FaceDir || composeSite.Env(p)["IDV_FACE_DIR"] != FaceDir) {
			t.Errorf("part %s: IDV_FACE_DIR is not the image's %s", p.Name, FaceDir)
		}
	}
	keys := composeKeysDir(t, "broker-access")
	if !slices.Contains(copies, "--from=build --chown="+uid+":"+gid+" /out/access "+keys) {
		t.Errorf("runtime stage: COPY %v; want an empty directory of user %s at %s, where compose.yaml's broker-access writes", copies, user[0], keys)
	}

	if testing.Short() {
		t.Skip("the image's go build: not with -short")
	}
	out := filepath.Join(t.TempDir(), "idv")
	cmd := exec.Command("go", b.Args(out)...)
	cmd.Dir, cmd.Env = repoRoot, append(os.Environ(), b.Env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", b.Args(out), err, msg)
	}
	info, err := exec.Command("go", "version", "-m", out).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\tpath\tgithub.com/idv-oss/idv/cmd/idv\n", "\tbuild\tCGO_ENABLED=1\n"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("go version -m of the image's build: no %q in\n%s", want, info)
		}
	}
	for _, f := range b.Flags {
		checkFlag(t, f, out, string(info))
	}
	if key, err := exec.Command(out, "keygen").Output(); err != nil || len(strings.TrimSpace(string(key))) != 44 {
		t.Errorf("the image's binary: idv keygen printed %q (%v), want a master key", key, err)
	}
}

// checkFlag fails t unless the binary at path, whose `go version -m` is
// info, shows the effect of go build flag f; a flag it does not know fails
// too, so that a flag added to the Dockerfile gets its check.
func checkFlag(t *testing.T, f, path, info string) {
	t.Helper()
	switch f {
	case "-trimpath":
		if !strings.Contains(info, "\tbuild\t-trimpath=true\n") {
			t.Errorf("%s: not in the build settings", f)
		}
	case "-buildvcs=false":
		if strings.Contains(info, "\tbuild\tvcs") {
			t.Errorf("%s: version control information stamped (the image, built without .git, has none)", f)
		}
	case "-ldflags=-s -w":
		bin, err := elf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer bin.Close()
		if bin.Section(".symtab") != nil || bin.Section(".debug_info") != nil {
			t.Errorf("%s: the binary keeps its symbol table or DWARF", f)
		}
	default:
		t.Errorf("go build flag %s of the Dockerfile: this test cannot see its effect; teach checkFlag", f)
	}
}

// composeKeysDir is the directory compose.yaml's service writes the broker's keys
// into: its --dir, where its volume broker-access is mounted.
func composeKeysDir(t *testing.T, service string) string {
	t.Helper()
	s := readCompose(t).Services[service]
	i := slices.Index(s.Command, "--dir")
	if i < 0 || i+1 >= len(s.Command) || !slices.Contains(s.Volumes, "broker-access:"+s.Command[i+1]) {
		t.Fatalf("compose.yaml service %s: command %v, volumes %v; want --dir DIR with volume broker-access at DIR", service, s.Command, s.Volumes)
	}
	return s.Command[i+1]
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
