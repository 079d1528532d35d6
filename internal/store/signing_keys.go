package store

import (
	"context"
	"time"

	"github.com/oklog/ulid/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SigningKey is one access-token signing key kept in the shared database.
type SigningKey struct {
	ID        string
	Secret    string
	CreatedAt time.Time
}

type signingKeyRow struct {
	ID        string `gorm:"primaryKey"`
	Secret    string
	CreatedAt time.Time
}

func (signingKeyRow) TableName() string { return "signing_keys" }

// FirstSigningKeyID is the id of the key the first instance creates: one
// fixed id, so instances starting together on an empty table race for the
// same row and exactly one insert wins. Later keys have ULIDs, which sort
// after it.
const FirstSigningKeyID = "00000000000000000000000000"

// signingKeyAudit is what the audit trail records of a key: never its
// secret.
type signingKeyAudit struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
}

// EnsureSigningKey stores secret as the first signing key unless the
// table already holds one, and reports whether this call created it.
// Safe when several instances call it at once: they all insert the same
// primary key, the database keeps one, and every caller then reads the
// same key.
func (db *DB) EnsureSigningKey(ctx context.Context, secret string) (created bool, err error) {
	defer wrap(&err, "store.EnsureSigningKey")
	err = db.tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&signingKeyRow{}).Count(&n).Error; err != nil || n > 0 {
			return err
		}
		row := signingKeyRow{ID: FirstSigningKeyID, Secret: secret, CreatedAt: db.now()}
		res := tx.Session(&gorm.Session{NewDB: true}).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		created = true
		return db.audit(ctx, tx, "create", "signing_key", row.ID, nil, signingKeyAudit{row.ID, row.CreatedAt})
	})
	if err != nil {
		return false, err
	}
	return created, nil
}

// SigningKeys returns every key, newest first: the first signs, all verify.
func (db *DB) SigningKeys(ctx context.Context) (keys []SigningKey, err error) {
	defer wrap(&err, "store.SigningKeys")
	var rows []signingKeyRow
	if err := db.gorm.WithContext(ctx).Order("id DESC").Find(&rows).Error; err != nil {
		return nil, err
	}
	keys = make([]SigningKey, len(rows))
	for i, r := range rows {
		keys[i] = SigningKey{ID: r.ID, Secret: r.Secret, CreatedAt: r.CreatedAt.UTC()}
	}
	return keys, nil
}

// AddSigningKey adds secret as the newest key (`techmarket keys rotate`)
// and deletes the keys no token can still need: those older than the
// newest key that already existed at retireBefore. A key stops signing
// once a newer one exists, so when that newer one is older than
// retireBefore (now minus the access-token lifetime and the instances'
// reload interval), every token the old key signed has expired.
func (db *DB) AddSigningKey(ctx context.Context, secret string, retireBefore time.Time) (key SigningKey, retired int, err error) {
	defer wrap(&err, "store.AddSigningKey")
	err = db.tx(ctx, func(tx *gorm.DB) error {
		row := signingKeyRow{ID: ulid.Make().String(), Secret: secret, CreatedAt: db.now()}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		key = SigningKey{ID: row.ID, Secret: row.Secret, CreatedAt: row.CreatedAt}
		var successor signingKeyRow
		q := tx.Session(&gorm.Session{NewDB: true}).Where("created_at <= ? AND id <> ?", retireBefore, row.ID).Order("id DESC").Limit(1).Find(&successor)
		if q.Error != nil {
			return q.Error
		}
		if successor.ID != "" {
			var old []signingKeyRow
			if err := tx.Session(&gorm.Session{NewDB: true}).Where("id < ?", successor.ID).Find(&old).Error; err != nil {
				return err
			}
			for _, o := range old {
				if err := tx.Session(&gorm.Session{NewDB: true}).Delete(&signingKeyRow{}, "id = ?", o.ID).Error; err != nil {
					return err
				}
				if err := db.audit(ctx, tx, "retire", "signing_key", o.ID, signingKeyAudit{o.ID, o.CreatedAt.UTC()}, nil); err != nil {
					return err
				}
			}
			retired = len(old)
		}
		return db.audit(ctx, tx, "rotate", "signing_key", row.ID, nil, signingKeyAudit{row.ID, row.CreatedAt})
	})
	if err != nil {
		return SigningKey{}, 0, err
	}
	return key, retired, nil
}
