package deploy

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
)

// dockerfile is the image's build: one place, read by the tests that build
// the binary as the image does.
//
//go:embed Dockerfile
var dockerfile string

// Instruction is one instruction of a Dockerfile, its continuation lines
// joined.
type Instruction struct {
	Stage string // the stage it belongs to: the FROM's AS name, "" for an unnamed one
	Cmd   string // FROM, RUN, COPY, …, upper case
	Args  string
}

// Instructions reads the image's Dockerfile, skipping comments and the
// parser directive.
func Instructions() []Instruction { return parseDockerfile(dockerfile) }

func parseDockerfile(text string) []Instruction {
	var out []Instruction
	var stage, cur string
	flush := func() {
		cur = strings.TrimSpace(cur)
		if cur == "" {
			return
		}
		cmd, args, _ := strings.Cut(cur, " ")
		in := Instruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)}
		if in.Cmd == "FROM" {
			stage = ""
			if f := strings.Fields(in.Args); len(f) == 3 && strings.EqualFold(f[1], "AS") {
				stage = f[2]
			}
		}
		in.Stage = stage
		out = append(out, in)
		cur = ""
	}
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "#") || (t == "" && cur == "") {
			continue
		}
		if body, cont := strings.CutSuffix(line, `\`); cont {
			cur += body + " "
			continue
		}
		cur += line
		flush()
	}
	flush()
	return out
}

// Build is how the image builds the idv binary: the `go build` of the
// Dockerfile's build stage.
type Build struct {
	Env     []string // the VAR=value before go: CGO_ENABLED=1
	Flags   []string // go build's flags, -o and its value left out
	Output  string   // -o: the binary's path in the build stage
	Package string   // the package built, from the module root: ./cmd/idv
}

// ImageBuild reads the Dockerfile's `go build`: the RUN of stage "build"
// that runs it, a single command (no && or ;).
func ImageBuild() (Build, error) { return readBuild(Instructions()) }

func readBuild(ins []Instruction) (Build, error) {
	var b Build
	found := false
	for _, in := range ins {
		if in.Stage != "build" || in.Cmd != "RUN" || !strings.Contains(in.Args, "go build") {
			continue
		}
		if found {
			return b, errors.New("Dockerfile: more than one RUN … go build in stage build")
		}
		found = true
		if strings.ContainsAny(in.Args, ";&|`$") {
			return b, fmt.Errorf("Dockerfile: RUN %s: want one plain go build command", in.Args)
		}
		words, err := shellWords(in.Args)
		if err != nil {
			return b, fmt.Errorf("Dockerfile: RUN %s: %w", in.Args, err)
		}
		i := 0
		for ; i < len(words) && strings.Contains(words[i], "=") && !strings.HasPrefix(words[i], "-"); i++ {
			b.Env = append(b.Env, words[i])
		}
		if len(words) < i+3 || words[i] != "go" || words[i+1] != "build" {
			return b, fmt.Errorf("Dockerfile: RUN %s: want [VAR=value…] go build [flags] PACKAGE", in.Args)
		}
		rest := words[i+2:]
		b.Package = rest[len(rest)-1]
		for j := 0; j < len(rest)-1; j++ {
			switch w := rest[j]; {
			case w == "-o" && j+1 < len(rest)-1:
				b.Output = rest[j+1]
				j++
			case strings.HasPrefix(w, "-o="):
				b.Output = strings.TrimPrefix(w, "-o=")
			case strings.HasPrefix(w, "-"):
				b.Flags = append(b.Flags, w)
			default:
				return b, fmt.Errorf("Dockerfile: go build: %q is neither a flag nor the one package", w)
			}
		}
	}
	if !found {
		return b, errors.New("Dockerfile: no RUN … go build in stage build")
	}
	if b.Output == "" || strings.HasPrefix(b.Package, "-") {
		return b, fmt.Errorf("Dockerfile: go build without -o or a package: %+v", b)
	}
	return b, nil
}

// Args is the go build command line b describes, writing to out: run it in
// the module root with b.Env added to the environment.
func (b Build) Args(out string) []string {
	return append(append([]string{"build"}, b.Flags...), "-o", out, b.Package)
}

// shellWords splits s as sh would a simple command: on blanks, with single
// and double quotes (no escapes inside single quotes, \" and \\ inside
// double ones) and backslash escapes outside them.
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated '")
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				w.WriteByte(s[i])
			}
			if i == len(s) {
				return nil, errors.New(`unterminated "`)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			inWord = true
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}
