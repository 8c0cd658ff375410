//go:build ignore

// gen writes the benchmark's Go app: a module using only the standard
// library, with -pkgs packages under internal/ (a binary tree of imports,
// so the compiler has parallel work, like a real program), a main package at
// ./cmd/<name>, and internal/p01/x_windows.go + x_other.go for the
// "a file only some targets build" case. Run by bench/run:
//
//	go run bench/gen.go -out DIR [-name benchapp] [-pkgs 24] [-files 6] [-types 5] [-light] [-vendor-pkgs 0 -vendor-files 10]
//
// -light (the smoke app) leaves out the heavy standard packages.
// -vendor-pkgs N (with -vendor-files M) adds a dependency module,
// example.com/benchvendor, vendored under vendor/ as `go mod vendor` writes it
// (N packages of M small files each; the main package uses every one).
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// A snippet is one function body using part of the standard library; every
// file gets a few, so the binary links most of these packages.
type snippet struct {
	imports []string
	body    string // returns a string; has n int and s string
}

var heavy = []snippet{
	{[]string{"net/http", "net/http/httptest"}, `mux := http.NewServeMux()
	mux.HandleFunc("/"+s, func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "%s %d", r.URL.Path, n) })
	req := httptest.NewRequest(http.MethodGet, "/"+s, nil)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec.Body.String()`},
	{[]string{"crypto/tls"}, `c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: s}
	return c.ServerName + tls.CipherSuiteName(uint16(n))`},
	{[]string{"text/template"}, `t := template.Must(template.New(s).Parse("{{.A}}:{{range .B}}{{.}},{{end}}"))
	var b strings.Builder
	if err := t.Execute(&b, struct {
		A string
		B []int
	}{s, []int{n, n + 1}}); err != nil {
		return err.Error()
	}
	return b.String()`},
	{[]string{"go/ast", "go/parser"}, `e, err := parser.ParseExpr(s + "+" + strconv.Itoa(n))
	if err != nil {
		return err.Error()
	}
	k := 0
	ast.Inspect(e, func(ast.Node) bool { k++; return true })
	return strconv.Itoa(k)`},
	{[]string{"go/token", "go/types"}, `pkg := types.NewPackage("example.com/"+s, "x")
	v := types.NewVar(token.NoPos, pkg, s+strconv.Itoa(n), types.Typ[types.Int])
	return v.String()`},
	{[]string{"encoding/xml"}, `b, err := xml.Marshal(struct {
		XMLName xml.Name ` + "`xml:\"r\"`" + `
		V       string   ` + "`xml:\"v\"`" + `
		N       int      ` + "`xml:\"n,attr\"`" + `
	}{V: s, N: n})
	if err != nil {
		return err.Error()
	}
	return string(b)`},
	{[]string{"database/sql"}, `ns := sql.NullString{String: s, Valid: n > 0}
	return sql.Named(s, n).Name + ns.String`},
	{[]string{"regexp"}, `re := regexp.MustCompile("^" + regexp.QuoteMeta(s) + "[0-9]+$")
	return strconv.FormatBool(re.MatchString(s + strconv.Itoa(n)))`},
	{[]string{"math/big"}, `x := new(big.Int).Exp(big.NewInt(int64(n)+2), big.NewInt(40), nil)
	return x.String() + s`},
	{[]string{"archive/zip", "bytes"}, `var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.Create(s)
	if err != nil {
		return err.Error()
	}
	fmt.Fprint(f, n)
	w.Close()
	return strconv.Itoa(b.Len())`},
	{[]string{"image", "image/color", "image/png", "bytes"}, `img := image.NewRGBA(image.Rect(0, 0, n%8+1, 2))
	img.Set(0, 0, color.RGBA{uint8(n), uint8(len(s)), 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return err.Error()
	}
	return strconv.Itoa(b.Len())`},
	{[]string{"log/slog"}, `var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info(s, "n", n)
	return b.String()`},
	{[]string{"net/smtp"}, `a := smtp.PlainAuth("", s, strconv.Itoa(n), "localhost")
	return fmt.Sprintf("%T", a)`},
	{[]string{"crypto/x509", "encoding/pem"}, `blk, _ := pem.Decode([]byte(s))
	_, err := x509.ParseCertificate([]byte(s + strconv.Itoa(n)))
	return fmt.Sprint(blk == nil, err != nil)`},
	{[]string{"html/template"}, `t := htmltemplate.Must(htmltemplate.New(s).Parse("<p title={{.}}>{{.}}</p>"))
	var b strings.Builder
	if err := t.Execute(&b, s+strconv.Itoa(n)); err != nil {
		return err.Error()
	}
	return b.String()`},
	{[]string{"net/rpc"}, `srv := rpc.NewServer()
	return fmt.Sprintf("%T%s%d", srv, s, n)`},
	{[]string{"compress/gzip", "bytes"}, `var b bytes.Buffer
	w := gzip.NewWriter(&b)
	fmt.Fprint(w, s, n)
	w.Close()
	return strconv.Itoa(b.Len())`},
	{[]string{"net/mail"}, `a, err := mail.ParseAddress(s + strconv.Itoa(n) + "@example.com")
	if err != nil {
		return err.Error()
	}
	return a.String()`},
	{[]string{"debug/elf", "debug/pe", "bytes"}, `_, e1 := elf.NewFile(bytes.NewReader([]byte(s)))
	_, e2 := pe.NewFile(bytes.NewReader([]byte(s + strconv.Itoa(n))))
	return fmt.Sprint(e1, e2)`},
	{[]string{"go/format"}, `b, err := format.Source([]byte("package p\nvar " + s + " = " + strconv.Itoa(n)))
	if err != nil {
		return err.Error()
	}
	return string(b)`},
	{[]string{"encoding/gob", "bytes"}, `var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(map[string]int{s: n}); err != nil {
		return err.Error()
	}
	return strconv.Itoa(b.Len())`},
	{[]string{"crypto/ecdsa", "crypto/elliptic", "crypto/rand", "crypto/sha256"}, `k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err.Error()
	}
	h := sha256.Sum256([]byte(s + strconv.Itoa(n)))
	sig, err := ecdsa.SignASN1(rand.Reader, k, h[:])
	return fmt.Sprint(len(sig), err)`},
	{[]string{"encoding/csv"}, `r := csv.NewReader(strings.NewReader(s + "," + strconv.Itoa(n)))
	rec, err := r.Read()
	return fmt.Sprint(rec, err)`},
	{[]string{"mime/multipart", "bytes"}, `var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField(s, strconv.Itoa(n))
	w.Close()
	return strconv.Itoa(b.Len())`},
}

var light = []snippet{
	{nil, `return strings.Repeat(s, n%3+1)`},
	{nil, `return strconv.Quote(s) + strconv.Itoa(n)`},
}

// The records, methods and functions each file holds -types of; @ is replaced by a unique suffix.
const typeTmpl = `
// R@ is a record of generated fields.
type R@ struct {
	ID    int                ` + "`json:\"id\"`" + `
	Name  string             ` + "`json:\"name\"`" + `
	Tags  []string           ` + "`json:\"tags,omitempty\"`" + `
	Attrs map[string]float64 ` + "`json:\"attrs,omitempty\"`" + `
	Next  *R@                ` + "`json:\"next,omitempty\"`" + `
}

// Score walks the record and its successors.
func (r *R@) Score(k int) float64 {
	s := float64(r.ID * k)
	for i, t := range r.Tags {
		switch {
		case strings.HasPrefix(t, "a"):
			s += float64(i) * 1.5
		case len(t) > 3:
			s -= float64(len(t))
		case strings.Contains(t, "z"):
			s *= 1.01
		default:
			s += r.Attrs[t]
		}
	}
	if r.Next != nil && k > 0 {
		s += r.Next.Score(k-1) / 2
	}
	return s
}

// Key names the record.
func (r *R@) Key() string { return fmt.Sprintf("%s/%d/%d", r.Name, r.ID, len(r.Tags)) }

// Encode is the record as JSON.
func (r *R@) Encode() string {
	b, err := json.Marshal(r)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// DecodeR@ reads a record from JSON.
func DecodeR@(s string) (*R@, error) {
	var r R@
	err := json.Unmarshal([]byte(s), &r)
	return &r, err
}

// Sorted returns the tags in a stable order.
func (r *R@) Sorted() []string {
	out := append([]string(nil), r.Tags...)
	sort.Slice(out, func(a, b int) bool {
		if len(out[a]) != len(out[b]) {
			return len(out[a]) < len(out[b])
		}
		return out[a] < out[b]
	})
	return out
}

// Mix@ is a branchy function for the compiler to optimize.
func Mix@(xs []int) map[string]int {
	m := make(map[string]int, len(xs))
	acc := 0
	for i, x := range xs {
		switch (x + i) % 8 {
		case 0:
			acc += x
		case 1:
			acc -= x * 3
		case 2:
			acc ^= x << 2
		case 3:
			acc |= x & 0xff
		case 4:
			m[strconv.Itoa(x)] = acc
		case 5:
			if acc > 1000 {
				acc /= 7
			}
		case 6:
			for j := 0; j < x%5; j++ {
				acc += j * i
			}
		default:
			m["d"+strconv.Itoa(i)]++
		}
	}
	m["acc"] = acc
	return m
}

// Stats@ summarizes records.
type Stats@ struct {
	Count int
	Sum   float64
	Names []string
}

// Add counts one record.
func (st *Stats@) Add(r *R@) *Stats@ {
	st.Count++
	st.Sum += r.Score(3)
	st.Names = append(st.Names, r.Key())
	return st
}

func exerciseR@(n int) string {
	r := &R@{ID: n, Name: "r@", Tags: []string{"alpha", "zed", "b", "long-tag"}, Attrs: map[string]float64{"b": 2}}
	r.Next = &R@{ID: n + 1, Name: "next"}
	back, err := DecodeR@(r.Encode())
	if err != nil {
		return err.Error()
	}
	st := (&Stats@{}).Add(r).Add(back)
	total := FOLD([]*R@{r, back}, 0.0, func(a float64, x *R@) float64 { return a + x.Score(2) })
	return fmt.Sprint(st.Count, st.Sum, total, strings.Join(r.Sorted(), ","), len(Mix@([]int{n, 1, 2, 3, 4, 5, 6, 7, 8})))
}
`

func main() {
	out := flag.String("out", "", "directory to write the module into")
	name := flag.String("name", "benchapp", "module and binary name")
	pkgs := flag.Int("pkgs", 24, "packages under internal/")
	files := flag.Int("files", 6, "files per package")
	types := flag.Int("types", 5, "record types per file")
	lightOnly := flag.Bool("light", false, "use only light standard packages")
	vendorPkgs := flag.Int("vendor-pkgs", 0, "packages of a vendored dependency module")
	vendorFiles := flag.Int("vendor-files", 10, "files per vendored package")
	flag.Parse()
	if *out == "" || *pkgs < 2 {
		log.Fatal("usage: gen -out DIR [-pkgs N>=2] [-files N] [-types N] [-light]")
	}
	snips := heavy
	if *lightOnly {
		snips = light
	}
	mod := "example.com/" + *name
	write := func(rel, text string) {
		p := filepath.Join(*out, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	const vmod = "example.com/benchvendor"
	vendorPkg := func(i int) string { return fmt.Sprintf("v%03d", i) }
	if *vendorPkgs > 0 {
		write("go.mod", "module "+mod+"\n\ngo 1.22\n\nrequire "+vmod+" v1.4.2\n")
		var list strings.Builder
		list.WriteString("# " + vmod + " v1.4.2\n## explicit; go 1.22\n")
		for i := 0; i < *vendorPkgs; i++ {
			p := vendorPkg(i)
			fmt.Fprintf(&list, "%s/%s\n", vmod, p)
			for j := 0; j < *vendorFiles; j++ {
				write(fmt.Sprintf("vendor/%s/%s/f%02d.go", vmod, p, j), vendorFile(p, j))
			}
		}
		write("vendor/modules.txt", list.String())
		write("vendor/"+vmod+"/LICENSE", "Generated by bench/gen.go for the benchmark; no rights reserved.\n")
	} else {
		write("go.mod", "module "+mod+"\n\ngo 1.22\n")
	}

	pkgName := func(i int) string { return fmt.Sprintf("p%02d", i) }
	next := 0
	for i := 0; i < *pkgs; i++ {
		p := pkgName(i)
		dir := "internal/" + p
		for j := 0; j < *files; j++ {
			imports := map[string]bool{"encoding/json": true, "fmt": true, "sort": true, "strconv": true, "strings": true}
			var body strings.Builder
			fold := "fold"
			if i > 0 {
				imports[mod+"/internal/p00"] = true
				fold = "p00.Fold"
			}
			var calls []string
			for k := 0; k < *types; k++ {
				suffix := fmt.Sprintf("%d_%d_%d", i, j, k)
				t := strings.ReplaceAll(typeTmpl, "@", suffix)
				body.WriteString(strings.ReplaceAll(t, "FOLD", fold))
				calls = append(calls, "exerciseR"+suffix+"(n)")
			}
			for k := 0; k < 3; k++ {
				sn := snips[next%len(snips)]
				next++
				for _, imp := range sn.imports {
					imports[imp] = true
				}
				fn := fmt.Sprintf("snippet%d_%d_%d", i, j, k)
				fmt.Fprintf(&body, "\nfunc %s(n int, s string) string {\n\t%s\n}\n", fn, sn.body)
				calls = append(calls, fn+"(n, \""+p+"\")")
			}
			fmt.Fprintf(&body, "\n// Exercise%d runs everything in this file.\nfunc Exercise%d(n int) string {\n\treturn strings.Join([]string{\n", j, j)
			for _, c := range calls {
				fmt.Fprintf(&body, "\t\t%s,\n", c)
			}
			body.WriteString("\t}, \"|\")\n}\n")
			write(fmt.Sprintf("%s/f%d.go", dir, j), fileHeader(p, imports)+body.String())
		}
		// run.go: the package's entry point; calls its parent in the import tree.
		imports := map[string]bool{"strings": true}
		var b strings.Builder
		if i == 0 {
			b.WriteString("\n// Fold is a generic reduction every package instantiates.\nfunc Fold[T, A any](xs []T, a A, f func(A, T) A) A {\n\tfor _, x := range xs {\n\t\ta = f(a, x)\n\t}\n\treturn a\n}\n\nfunc fold[T, A any](xs []T, a A, f func(A, T) A) A { return Fold(xs, a, f) }\n")
		}
		b.WriteString("\n// Run exercises the package (and its parent in the import tree).\nfunc Run(n int) string {\n\tparts := []string{\n")
		if i > 0 {
			parent := pkgName((i - 1) / 2)
			imports[mod+"/internal/"+parent] = true
			fmt.Fprintf(&b, "\t\t%s.Run(n - 1),\n", parent)
		}
		if i == 1 {
			b.WriteString("\t\tplatform(),\n")
		}
		for j := 0; j < *files; j++ {
			fmt.Fprintf(&b, "\t\tExercise%d(n),\n", j)
		}
		b.WriteString("\t}\n\treturn strings.Join(parts, \"\\n\")\n}\n")
		if i > 0 {
			// Run recurses to the parent; stop at n <= 0.
			s := b.String()
			s = strings.Replace(s, "func Run(n int) string {\n", "func Run(n int) string {\n\tif n <= 0 {\n\t\treturn \"\"\n\t}\n", 1)
			b.Reset()
			b.WriteString(s)
		}
		write(dir+"/run.go", fileHeader(p, imports)+b.String())
	}
	// The build-constrained pair: only windows targets compile x_windows.go.
	write("internal/p01/x_windows.go", "//go:build windows\n\npackage p01\n\nimport \"os\"\n\nfunc platform() string { return \"windows \" + os.Getenv(\"COMSPEC\") }\n")
	write("internal/p01/x_other.go", "//go:build !windows\n\npackage p01\n\nimport \"os\"\n\nfunc platform() string { return \"unix \" + os.Getenv(\"SHELL\") }\n")

	var m strings.Builder
	m.WriteString("// Command " + *name + " is the benchmark's generated app.\npackage main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n\t\"runtime\"\n\n")
	for i := 0; i < *pkgs; i++ {
		fmt.Fprintf(&m, "\t%q\n", mod+"/internal/"+pkgName(i))
	}
	for i := 0; i < *vendorPkgs; i++ {
		fmt.Fprintf(&m, "\t%q\n", vmod+"/"+vendorPkg(i))
	}
	m.WriteString(")\n\n// Set with -ldflags -X by every tool the benchmark compares.\nvar (\n\tversion = \"dev\"\n\tcommit  = \"none\"\n\tdate    = \"unknown\"\n)\n\n")
	m.WriteString("func main() {\n\tif len(os.Args) > 1 && os.Args[1] == \"version\" {\n\t\tfmt.Printf(\"" + *name + " %s %s %s %s/%s\\n\", version, commit, date, runtime.GOOS, runtime.GOARCH)\n\t\treturn\n\t}\n\tn := len(os.Args) + 2\n\ttotal := 0\n")
	for i := 0; i < *pkgs; i++ {
		fmt.Fprintf(&m, "\ttotal += len(%s.Run(n))\n", pkgName(i))
	}
	for i := 0; i < *vendorPkgs; i++ {
		for j := 0; j < *vendorFiles; j++ {
			fmt.Fprintf(&m, "\ttotal += len(%s.Describe%d(n))\n", vendorPkg(i), j)
		}
	}
	m.WriteString("\tfmt.Println(total)\n}\n")
	write("cmd/"+*name+"/main.go", m.String())
}

// vendorFile is one small file of the vendored module: a type, a method, a describer.
func vendorFile(pkg string, j int) string {
	return fmt.Sprintf(`// Code generated by bench/gen.go. DO NOT EDIT.

package %[1]s

import (
	"fmt"
	"strings"
)

// Item%[2]d is a small record of the vendored dependency.
type Item%[2]d struct {
	Name  string
	Parts []string
	Size  int
}

// Join puts the parts together, longest first.
func (it Item%[2]d) Join(sep string) string {
	out := make([]string, 0, len(it.Parts))
	for _, p := range it.Parts {
		if len(p) >= it.Size {
			out = append([]string{p}, out...)
		} else {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// Describe%[2]d is what the app calls.
func Describe%[2]d(n int) string {
	it := Item%[2]d{Name: "%[1]s", Parts: []string{"a", "bb", fmt.Sprint(n)}, Size: n %% 3}
	return fmt.Sprintf("%%s:%%s:%%d", it.Name, it.Join("/"), len(it.Parts))
}
`, pkg, j)
}

func fileHeader(pkg string, imports map[string]bool) string {
	var b strings.Builder
	b.WriteString("// Code generated by bench/gen.go. DO NOT EDIT.\n\npackage " + pkg + "\n\nimport (\n")
	var list []string
	for imp := range imports {
		list = append(list, imp)
	}
	sort.Strings(list)
	for _, imp := range list {
		if imp == "html/template" {
			fmt.Fprintf(&b, "\thtmltemplate %q\n", imp)
		} else {
			fmt.Fprintf(&b, "\t%q\n", imp)
		}
	}
	b.WriteString(")\n")
	return b.String()
}
