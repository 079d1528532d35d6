// Command gendict writes internal/search/dict/zh.txt, the word list the
// in-process engine segments Chinese with: the simplified-Chinese
// dictionary that ships with github.com/go-ego/gse (Apache-2.0), cut down
// to the words a technology listing uses, so that it costs a third of the
// memory of the whole list. Run it from the repository root after
// changing the gse version:
//
//	go run ./scripts/gendict "$(go env GOMODCACHE)/github.com/go-ego/gse@v0.80.3/data/dict/zh/s_1.txt"
//
// Kept: words of two to four characters seen at least three times in
// gse's corpus, except personal, place and organisation names, idioms,
// set phrases, numerals and times (nr ns nt nrt nrfg i l m t), which
// listings rarely need as single terms and which make up most of the list.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gendict path/to/gse/data/dict/zh/s_1.txt")
		os.Exit(2)
	}
	if err := run(os.Args[1], "internal/search/dict/zh.txt"); err != nil {
		fmt.Fprintln(os.Stderr, "gendict:", err)
		os.Exit(1)
	}
}

var dropPOS = map[string]bool{"nr": true, "ns": true, "nt": true, "nrt": true, "nrfg": true, "i": true, "l": true, "m": true, "t": true}

func run(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(out)
	sc := bufio.NewScanner(in)
	n := 0
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 {
			continue
		}
		freq, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		if runes := utf8.RuneCountInString(f[0]); runes < 2 || runes > 4 || freq < 3 || dropPOS[f[2]] {
			continue
		}
		fmt.Fprintf(w, "%s %d %s\n", f[0], freq, f[2])
		n++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Printf("%s: %d words\n", dst, n)
	return out.Close()
}
