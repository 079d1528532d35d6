package store

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"

	"github.com/liuzhou-techmarket/techmarket/internal/files"
	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

type evidenceRow struct {
	ID               string `gorm:"primaryKey"`
	TransactionID    string
	Kind             string
	Filename         string
	Size             int64
	ContentType      string
	SHA256           string `gorm:"column:sha256"`
	UploadedByUserID string
	CreatedAt        time.Time
}

func (evidenceRow) TableName() string { return "transaction_evidence" }

func (r *evidenceRow) evidence() market.Evidence {
	e := market.Evidence(*r)
	e.CreatedAt = e.CreatedAt.UTC()
	return e
}

// EvidenceStore implements market.EvidenceService: records in the
// database, contents in a files.Store.
type EvidenceStore struct {
	db    *DB
	files files.Store
}

var _ market.EvidenceService = (*EvidenceStore)(nil)

// NewEvidenceStore returns the evidence service over db and fs.
func NewEvidenceStore(db *DB, fs files.Store) *EvidenceStore {
	return &EvidenceStore{db: db, files: fs}
}

// AddEvidence stores a PDF, JPEG or PNG file as evidence of a deal; the
// operator of the deal's market may. Permission is checked before a byte
// is written; the content is stored before the row that names it commits
// (content-addressed, so a failed commit leaves at worst an unnamed file).
func (s *EvidenceStore) AddEvidence(ctx context.Context, id string, up market.EvidenceUpload, content io.Reader) (*market.Evidence, error) {
	a := market.ActorFrom(ctx)
	if err := up.Validate(); err != nil {
		return nil, err
	}
	t, err := findTransaction(ctx, s.db.gorm.WithContext(ctx), id, false, false)
	if err != nil {
		return nil, err
	}
	if err := market.CanOperateTransaction(a, t); err != nil {
		return nil, err
	}
	ct, key, size, err := putDocument(ctx, s.files, content, "evidence")
	if err != nil {
		return nil, err
	}
	ev := market.Evidence{ID: ulid.Make().String(), TransactionID: id, Kind: up.Kind, Filename: up.Filename,
		Size: size, ContentType: ct, SHA256: key, UploadedByUserID: a.UserID, CreatedAt: s.db.now()}
	row := evidenceRow(ev)
	err = s.db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "add_evidence", "transaction", id, nil, ev)
	})
	if err != nil {
		return nil, err
	}
	return &ev, nil
}

// ListEvidence lists a deal's files, oldest first, to whoever sees the deal.
func (s *EvidenceStore) ListEvidence(ctx context.Context, id string) ([]market.Evidence, error) {
	q := s.db.gorm.WithContext(ctx)
	if _, err := findTransaction(ctx, q, id, false, false); err != nil {
		return nil, err
	}
	var rows []evidenceRow
	if err := q.Where("transaction_id = ?", id).Order("id ASC").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]market.Evidence, len(rows))
	for i := range rows {
		out[i] = rows[i].evidence()
	}
	return out, nil
}

// OpenEvidence returns one file of a deal to whoever sees the deal.
func (s *EvidenceStore) OpenEvidence(ctx context.Context, id, eid string) (*market.Evidence, io.ReadCloser, error) {
	q := s.db.gorm.WithContext(ctx)
	if _, err := findTransaction(ctx, q, id, false, false); err != nil {
		return nil, nil, err
	}
	var row evidenceRow
	err := q.First(&row, "id = ? AND transaction_id = ?", eid, id).Error
	if err := translate(err, func() error { return market.Errorf(market.ENOTFOUND, "evidence %s not found", eid) }); err != nil {
		return nil, nil, err
	}
	rc, err := s.files.Open(ctx, row.SHA256)
	if err != nil {
		// The row names a file the store does not have: an operations
		// problem, not the client's.
		return nil, nil, fmt.Errorf("open evidence %s (%s): %w", eid, row.SHA256, err)
	}
	ev := row.evidence()
	return &ev, rc, nil
}

// putDocument reads an uploaded document (deal evidence, a service
// report), checks that its content is one of the accepted types and keeps
// it in the files store: its sniffed content type, key and size.
func putDocument(ctx context.Context, fs files.Store, content io.Reader, what string) (ct, key string, size int64, err error) {
	ct, all, err := files.Sniff(content)
	if err != nil {
		return "", "", 0, market.Errorf(market.EBADREQUEST, "the file could not be read: %v", err)
	}
	if !slices.Contains(market.EvidenceContentTypes, ct) {
		return "", "", 0, market.Invalid("file", "must be a PDF, JPEG or PNG file; this one reads as %s", ct)
	}
	key, size, err = fs.Put(ctx, all)
	if err != nil {
		return "", "", 0, fmt.Errorf("store %s file: %w", what, err)
	}
	return ct, key, size, nil
}
