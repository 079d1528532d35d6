package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/config"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

func TestEvidence(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		id := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline)
		content := pdf("技术转让合同扫描件")

		r := upload(e, p.opL.Token, id, "contract", "../合同 扫描.pdf", content)
		if r.Status != 201 {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
		ev := r.JSON()
		sum := sha256.Sum256(content)
		if ev["sha256"] != hex.EncodeToString(sum[:]) || ev["size"] != float64(len(content)) ||
			ev["content_type"] != "application/pdf" || ev["filename"] != "合同 扫描.pdf" || ev["kind"] != "contract" {
			t.Fatalf("evidence: %s", r.Body)
		}
		eid := ev["id"].(string)
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)
		if r := upload(e, p.opL.Token, id, "invoice", "fapiao.png", png); r.Status != 201 || r.Str("content_type") != "image/png" {
			t.Fatalf("png upload: %d %s", r.Status, r.Body)
		}

		// Whoever sees the deal lists and downloads its files.
		for _, who := range []apptest.Org{p.opL, p.gov, p.buyer, p.seller} {
			if items := e.Must(200, "GET", "/api/v1/transactions/"+id+"/evidence", who.Token, nil).Items(); len(items) != 2 {
				t.Fatalf("list: %v", items)
			}
			d := e.Must(200, "GET", "/api/v1/transactions/"+id+"/evidence/"+eid, who.Token, nil)
			if !bytes.Equal(d.Body, content) || d.Header.Get("Content-Type") != "application/pdf" ||
				!strings.HasPrefix(d.Header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("download: %v %q", d.Header, d.Body)
			}
		}
		for _, who := range []apptest.Org{p.opG, p.outsider} {
			e.Must(404, "GET", "/api/v1/transactions/"+id+"/evidence", who.Token, nil)
			e.Must(404, "GET", "/api/v1/transactions/"+id+"/evidence/"+eid, who.Token, nil)
		}
		e.Must(404, "GET", "/api/v1/transactions/"+id+"/evidence/01HZZZZZZZZZZZZZZZZZZZZZZZ", p.opL.Token, nil)
		// Only the market's operator uploads.
		if r := upload(e, p.buyer.Token, id, "other", "a.pdf", content); r.Status != 403 {
			t.Fatalf("party upload: %d", r.Status)
		}
		if r := upload(e, p.opG.Token, id, "other", "a.pdf", content); r.Status != 404 {
			t.Fatalf("other market upload: %d", r.Status)
		}

		// Bad uploads: nothing is stored.
		rows, audits := count(t, e, "transaction_evidence", ""), count(t, e, "audit_events", "")
		bad := []struct {
			name     string
			kind     string
			filename string
			content  []byte
			status   int
			field    string
		}{
			{"executable", "other", "virus.pdf", []byte("MZ\x90\x00\x03\x00\x00\x00"), 422, "file"},
			{"html", "other", "page.png", []byte("<html><script>alert(1)</script></html>"), 422, "file"},
			{"text", "invoice", "a.jpg", []byte("just some text"), 422, "file"},
			{"empty", "contract", "empty.pdf", nil, 422, "file"},
			{"unknown kind", "receipt", "a.pdf", content, 422, "kind"},
			{"no kind", "", "a.pdf", content, 422, "kind"},
			{"no file", "contract", "", nil, 422, "file"},
		}
		for _, c := range bad {
			r := upload(e, p.opL.Token, id, c.kind, c.filename, c.content)
			if r.Status != c.status || !strings.Contains(string(r.Body), `"field":"`+c.field+`"`) {
				t.Errorf("%s: %d %s, want %d naming %s", c.name, r.Status, r.Body, c.status, c.field)
			}
		}
		e.Must(400, "POST", "/api/v1/transactions/"+id+"/evidence", p.opL.Token, `{"kind":"contract"}`)
		// Over the upload limit (20 MiB by default) the server refuses the
		// body itself; that takes a real connection to see.
		if status, body := announceUpload(t, e, p.opL.Token, id, 21<<20); status != 413 || !strings.Contains(body, `"status":413`) {
			t.Fatalf("oversized upload: %d %s", status, body)
		}
		if n := count(t, e, "transaction_evidence", ""); n != rows {
			t.Fatalf("bad uploads stored rows: %d, want %d", n, rows)
		}
		if n := count(t, e, "audit_events", ""); n != audits {
			t.Fatalf("bad uploads audited: %d, want %d", n, audits)
		}
	})
}

// TestEvidenceUploadLimit checks the limit the HTTP layer applies to the
// file itself when it is below the JSON body limit.
func TestEvidenceUploadLimit(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b, func(t *testing.T) {
			e := apptest.New(t, b, func(c *config.Config) { c.UploadLimit = 4096 })
			p := newParties(e)
			id := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline)
			if r := upload(e, p.opL.Token, id, "contract", "ok.pdf", pdf("small")); r.Status != 201 {
				t.Fatalf("small upload: %d %s", r.Status, r.Body)
			}
			// Exactly at the limit is fine.
			exact := append(pdf("exact"), bytes.Repeat([]byte{' '}, 4096-len(pdf("exact")))...)
			if r := upload(e, p.opL.Token, id, "contract", "exact.pdf", exact); r.Status != 201 {
				t.Fatalf("upload at the limit: %d %s", r.Status, r.Body)
			}
			big := append(pdf("big"), bytes.Repeat([]byte{' '}, 4096)...)
			r := upload(e, p.opL.Token, id, "contract", "big.pdf", big)
			if r.Status != 413 || !strings.Contains(string(r.Body), `"field":"file"`) {
				t.Fatalf("oversized upload: %d %s", r.Status, r.Body)
			}
			if n := count(t, e, "transaction_evidence", ""); n != 2 {
				t.Fatalf("%d evidence rows, want 2", n)
			}
		})
	}
}

// announceUpload sends the head of an upload of size bytes over a real
// loopback connection to a second server of the same system and returns
// the answer; the server must refuse on the Content-Length alone, before
// reading (and keeping) any of the body.
func announceUpload(t *testing.T, e *apptest.Env, token, transactionID string, size int) (int, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := e.Sys.Server()
	go func() { _ = srv.App.Listener(ln) }()
	defer srv.Shutdown(context.Background())
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /api/v1/transactions/%s/evidence HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: %d\r\n\r\n", transactionID, token, size)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
