package httpapi_test

import (
	"bytes"
	"mime/multipart"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/apptest"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// uploadWithBoundary sends a file as evidence in a multipart body with the
// given boundary and headers.
func uploadWithBoundary(e *apptest.Env, token, transactionID, boundary, filename string, content []byte, headers ...string) *apptest.Response {
	e.T.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary(boundary); err != nil {
		e.T.Fatal(err)
	}
	_ = mw.WriteField("kind", "contract")
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		e.T.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = mw.Close()
	return e.Do("POST", "/api/v1/transactions/"+transactionID+"/evidence", token, buf.Bytes(),
		append([]string{"Content-Type", mw.FormDataContentType()}, headers...)...)
}

// TestEvidenceUploadRetry: a client retrying an upload regenerates the
// multipart boundary; with the same Idempotency-Key the retry is the same
// request and gets the first answer. Another file under that key is a 422.
func TestEvidenceUploadRetry(t *testing.T) {
	apptest.ForEach(t, func(t *testing.T, e *apptest.Env) {
		p := newParties(e)
		id := newTransaction(e, p, market.MarketLiuzhou, market.ChannelOffline)
		key := []string{"Idempotency-Key", "upload-" + uniqueNo("K")}
		content := pdf("技术转让合同 第一页")

		first := uploadWithBoundary(e, p.opL.Token, id, "boundary-first-try-1a2b3c", "合同.pdf", content, key...)
		if first.Status != 201 {
			t.Fatalf("first upload: %d %s", first.Status, first.Body)
		}
		retry := uploadWithBoundary(e, p.opL.Token, id, "boundary-retry-9z8y7x", "合同.pdf", content, key...)
		if retry.Status != 201 || !bytes.Equal(retry.Body, first.Body) || retry.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry: %d %q %s, want the first answer replayed", retry.Status, retry.Header.Get("Idempotent-Replayed"), retry.Body)
		}
		if n := count(t, e, "transaction_evidence", "transaction_id = ?", id); n != 1 {
			t.Fatalf("%d evidence rows, want 1", n)
		}
		for name, c := range map[string]struct {
			filename string
			content  []byte
		}{
			"another file":      {"合同.pdf", pdf("技术转让合同 第二页")},
			"another file name": {"发票.pdf", content},
		} {
			r := uploadWithBoundary(e, p.opL.Token, id, "boundary-other-5k6l7m", c.filename, c.content, key...)
			if r.Status != 422 || !bytes.Contains(r.Body, []byte(`"field":"Idempotency-Key"`)) {
				t.Errorf("%s under the same key: %d %s, want 422", name, r.Status, r.Body)
			}
		}
		if n := count(t, e, "transaction_evidence", "transaction_id = ?", id); n != 1 {
			t.Fatalf("%d evidence rows after the refusals, want 1", n)
		}
	})
}
