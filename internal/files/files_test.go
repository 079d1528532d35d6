package files_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/liuzhou-techmarket/techmarket/internal/files"
)

func TestLocalPutOpen(t *testing.T) {
	ctx := context.Background()
	l, err := files.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	content := []byte("%PDF-1.4 a small contract")
	key, size, err := l.Put(ctx, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	if key != hex.EncodeToString(sum[:]) || size != int64(len(content)) {
		t.Fatalf("key %s size %d", key, size)
	}
	// The same bytes again land on the same key.
	if again, _, err := l.Put(ctx, bytes.NewReader(content)); err != nil || again != key {
		t.Fatalf("second put: %s %v", again, err)
	}
	rc, err := l.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, content) {
		t.Fatalf("read back %q", got)
	}
	for _, k := range []string{"", "../../etc/passwd", strings.Repeat("0", 64)} {
		if _, err := l.Open(ctx, k); !errors.Is(err, files.ErrNotFound) {
			t.Errorf("open %q: %v, want ErrNotFound", k, err)
		}
	}
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		content string
		want    string
	}{
		{"%PDF-1.7\n...", "application/pdf"},
		{"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"},
		{"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"},
		{"MZ\x90\x00", "application/octet-stream"},
		{"", "text/plain; charset=utf-8"},
	} {
		ct, all, err := files.Sniff(strings.NewReader(c.content))
		if err != nil {
			t.Fatal(err)
		}
		if ct != c.want {
			t.Errorf("%q: %s, want %s", c.content, ct, c.want)
		}
		if b, _ := io.ReadAll(all); string(b) != c.content {
			t.Errorf("%q: reader yields %q", c.content, b)
		}
	}
}
