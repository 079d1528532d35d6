// Package files keeps uploaded files (deal evidence) by the SHA-256 of
// their content. The interface is small so that an object store can stand
// in for the local directory when the API runs on several hosts.
package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
)

// ErrNotFound is returned by Open for a key that was never stored.
var ErrNotFound = errors.New("files: not found")

// Store keeps file contents under their SHA-256. Putting the same bytes
// twice stores them once.
type Store interface {
	// Put reads r to its end, stores it and returns its key (the hex
	// SHA-256 of the content) and size.
	Put(ctx context.Context, r io.Reader) (key string, size int64, err error)
	// Open returns the content stored under key; the caller closes it.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// Local stores files in a directory, two levels deep by key prefix
// (ab/cd/abcd...), written to a temporary file first and renamed into
// place, so a reader never sees half a file.
type Local struct {
	dir string
}

var _ Store = (*Local)(nil)

// NewLocal returns a store under dir, creating it.
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("files dir: %w", err)
	}
	return &Local{dir: dir}, nil
}

func (l *Local) path(key string) string {
	return filepath.Join(l.dir, key[:2], key[2:4], key)
}

// Put stores r's content. It is synced to disk before Put returns, since
// the database row that names it commits right after.
func (l *Local) Put(ctx context.Context, r io.Reader) (string, int64, error) {
	tmp, err := os.CreateTemp(l.dir, ".upload-*")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, err
	}
	key := hex.EncodeToString(h.Sum(nil))
	dst := l.path(key)
	if _, err := os.Stat(dst); err == nil {
		return key, size, nil // the same content is already stored
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return "", 0, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, err
	}
	return key, size, nil
}

// Open returns the content under key.
func (l *Local) Open(_ context.Context, key string) (io.ReadCloser, error) {
	if !validKey(key) {
		return nil, ErrNotFound
	}
	f, err := os.Open(l.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}

// validKey accepts only a hex SHA-256, so a key can never name a path
// outside the directory.
func validKey(key string) bool {
	if len(key) != sha256.Size*2 {
		return false
	}
	_, err := hex.DecodeString(key)
	return err == nil
}

// ctxReader stops a long copy when the request is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Sniff detects the content type of r from its first 512 bytes
// (http.DetectContentType) and returns a reader that still yields every
// byte.
func Sniff(r io.Reader) (contentType string, all io.Reader, err error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", nil, err
	}
	head = head[:n]
	return http.DetectContentType(head), io.MultiReader(bytes.NewReader(head), r), nil
}
