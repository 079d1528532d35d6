package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/liuzhou-techmarket/techmarket/internal/market"
)

// VocabularyService holds the vocabulary aggregate's methods over db.
type VocabularyService struct{ db *DB }

// NewVocabularyService returns the vocabulary service over db.
func NewVocabularyService(db *DB) *VocabularyService { return &VocabularyService{db: db} }

type synonymGroupRow struct {
	ID        string   `gorm:"primaryKey"`
	Terms     []string `gorm:"serializer:json"`
	CreatedAt time.Time
	// Save stores UpdatedAt as set; GORM must not stamp a later instant
	// than the answer and the audit event show.
	UpdatedAt time.Time `gorm:"autoUpdateTime:false"`
}

func (synonymGroupRow) TableName() string { return "synonym_groups" }

func (r *synonymGroupRow) group() *market.SynonymGroup {
	return &market.SynonymGroup{ID: r.ID, Terms: nonNil(r.Terms), UpdatedAt: r.UpdatedAt.UTC()}
}

type vocabularyVersionRow struct {
	ID      int `gorm:"primaryKey"`
	Version int64
}

func (vocabularyVersionRow) TableName() string { return "vocabulary_version" }

func synonymGroupNotFound(id string) error {
	return market.Errorf(market.ENOTFOUND, "synonym group %s not found", id)
}

var _ market.VocabularyService = (*VocabularyService)(nil)

// ListSynonymGroups returns every synonym group, sorted by id.
func (s *VocabularyService) ListSynonymGroups(ctx context.Context) (_ []market.SynonymGroup, err error) {
	defer wrap(&err, "store.ListSynonymGroups")
	if err := market.CanCurateVocabulary(market.ActorFrom(ctx)); err != nil {
		return nil, err
	}
	var rows []synonymGroupRow
	if err := s.db.gorm.WithContext(ctx).Order("id ASC").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]market.SynonymGroup, len(rows))
	for i := range rows {
		out[i] = *rows[i].group()
	}
	return out, nil
}

// PutSynonymGroup creates the group id or replaces its terms, bumps the
// vocabulary version and audits, in one transaction.
func (s *VocabularyService) PutSynonymGroup(ctx context.Context, id string, terms []string) (_ *market.SynonymGroup, created bool, err error) {
	defer wrap(&err, "store.PutSynonymGroup(%q)", id)
	if err := market.CanCurateVocabulary(market.ActorFrom(ctx)); err != nil {
		return nil, false, err
	}
	g := &market.SynonymGroup{ID: id, Terms: append([]string(nil), terms...)}
	if err := g.Validate(); err != nil {
		return nil, false, err
	}
	err = s.changeVocabulary(ctx, func(tx *gorm.DB, now time.Time) error {
		var old synonymGroupRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&old, "id = ?", id).Error
		if err != nil && !errors.Is(err, errNotFound) {
			return err
		}
		created = errors.Is(err, errNotFound)
		row := synonymGroupRow{ID: id, Terms: g.Terms, CreatedAt: now, UpdatedAt: now}
		g.UpdatedAt = now
		if created {
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
			return s.db.audit(ctx, tx, "create", "synonym_group", id, nil, g)
		}
		row.CreatedAt = old.CreatedAt
		if err := tx.Select("*").Save(&row).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "update", "synonym_group", id, old.group(), g)
	})
	if err != nil {
		return nil, false, err
	}
	return g, created, nil
}

// DeleteSynonymGroup removes the group, bumps the vocabulary version and
// audits, in one transaction.
func (s *VocabularyService) DeleteSynonymGroup(ctx context.Context, id string) (err error) {
	defer wrap(&err, "store.DeleteSynonymGroup(%q)", id)
	if err := market.CanCurateVocabulary(market.ActorFrom(ctx)); err != nil {
		return err
	}
	return s.changeVocabulary(ctx, func(tx *gorm.DB, _ time.Time) error {
		var old synonymGroupRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&old, "id = ?", id).Error
		if errors.Is(err, errNotFound) {
			return synonymGroupNotFound(id)
		}
		if err != nil {
			return err
		}
		if err := tx.Delete(&synonymGroupRow{}, "id = ?", id).Error; err != nil {
			return err
		}
		return s.db.audit(ctx, tx, "delete", "synonym_group", id, old.group(), nil)
	})
}

// changeVocabulary runs fn in a transaction that first locks the version
// row and, when fn succeeds, bumps it. Taking the version lock first makes
// every change to the vocabulary take turns (two puts of one new id do
// not both try to insert it), and the lock order version → group → audit
// head is the same for every writer.
func (s *VocabularyService) changeVocabulary(ctx context.Context, fn func(tx *gorm.DB, now time.Time) error) error {
	return s.db.tx(ctx, func(tx *gorm.DB) error {
		var v vocabularyVersionRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&v, 1).Error; err != nil {
			return fmt.Errorf("lock vocabulary version: %w", err)
		}
		if err := fn(tx, s.db.now()); err != nil {
			return err
		}
		return tx.Model(&vocabularyVersionRow{}).Where("id = 1").Update("version", v.Version+1).Error
	})
}

// VocabularyVersion returns the counter that every change to the synonym
// groups bumps.
func (s *VocabularyService) VocabularyVersion(ctx context.Context) (v int64, err error) {
	defer wrap(&err, "store.VocabularyVersion")
	var row vocabularyVersionRow
	if err := s.db.gorm.WithContext(ctx).First(&row, 1).Error; err != nil {
		return 0, err
	}
	return row.Version, nil
}
