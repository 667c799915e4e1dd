package objects

import (
	"context"
	"fmt"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/lifecycle"

	"github.com/idv-oss/idv/schemas"
)

// BackstopRuleID names IDV's rule among the bucket's lifecycle rules;
// EnsureBackstop replaces only the rule of that id and leaves the others.
const BackstopRuleID = "idv-retention-backstop"

// Backstop is the lifecycle rule that deletes, on the store's own schedule,
// whatever the wipe did not (docs/design.md invariant 3: "a bucket
// lifecycle rule is a backstop, never the mechanism"). It covers the whole
// bucket, which holds only IDV's sealed captures.
type Backstop struct {
	// ExpireDays is the age at which an object expires: deleted, or on a
	// versioned bucket made a noncurrent version.
	ExpireDays int
	// NoncurrentDays is how long a version stays once it is no longer
	// the current one (replaced, deleted, or expired by ExpireDays).
	NoncurrentDays int
	// AbortUploadDays is the age at which an unfinished multipart upload
	// is aborted and its parts deleted.
	AbortUploadDays int
}

// RetentionBackstop is the rule `idv migrate` sets: objects expire a day
// after the 28-day retention cap (schemas.MaxRetentionDays), late enough
// never to race the wipe, which finishes within hours of a session's
// expiry; a version left behind, by the expiry on a versioned bucket or by
// an overwrite, goes a day after that; unfinished uploads, which IDV's
// pre-signed uploads keep for at most an hour (IDV_UPLOAD_TTL), go after a
// day. So no byte outlives 30 days even if every wipe failed. Stores
// count days from midnight UTC, so each may act up to a day later.
func RetentionBackstop() Backstop {
	return Backstop{ExpireDays: schemas.MaxRetentionDays + 1, NoncurrentDays: 1, AbortUploadDays: 1}
}

// String says what the rule does, for `idv migrate` and `idv doctor`.
func (b Backstop) String() string {
	return fmt.Sprintf("objects expire after %d days, noncurrent versions %d day(s) later, unfinished uploads are aborted after %d day(s)",
		b.ExpireDays, b.NoncurrentDays, b.AbortUploadDays)
}

// rule is b as the bucket's lifecycle rule BackstopRuleID, over the whole
// bucket (an empty filter).
func (b Backstop) rule() lifecycle.Rule {
	return lifecycle.Rule{
		ID:                             BackstopRuleID,
		Status:                         "Enabled",
		Expiration:                     lifecycle.Expiration{Days: lifecycle.ExpirationDays(b.ExpireDays)},
		NoncurrentVersionExpiration:    lifecycle.NoncurrentVersionExpiration{NoncurrentDays: lifecycle.ExpirationDays(b.NoncurrentDays)},
		AbortIncompleteMultipartUpload: lifecycle.AbortIncompleteMultipartUpload{DaysAfterInitiation: lifecycle.ExpirationDays(b.AbortUploadDays)},
	}
}

// matches reports whether r is b's rule as a store returns it: enabled,
// over the whole bucket, with b's days and nothing else that deletes or
// moves objects.
func (b Backstop) matches(r lifecycle.Rule) bool {
	f := r.RuleFilter
	return r.ID == BackstopRuleID && r.Status == "Enabled" && r.Prefix == "" &&
		f.Prefix == "" && f.Tag.IsEmpty() && f.And.IsEmpty() && f.ObjectSizeLessThan == 0 && f.ObjectSizeGreaterThan == 0 &&
		int(r.Expiration.Days) == b.ExpireDays && r.Expiration.IsDateNull() && !bool(r.Expiration.DeleteAll) &&
		int(r.NoncurrentVersionExpiration.NoncurrentDays) == b.NoncurrentDays && r.NoncurrentVersionExpiration.NewerNoncurrentVersions == 0 &&
		int(r.AbortIncompleteMultipartUpload.DaysAfterInitiation) == b.AbortUploadDays &&
		r.Transition.IsNull() && r.NoncurrentVersionTransition.IsDaysNull() && r.NoncurrentVersionTransition.StorageClass == ""
}

// withBackstop is cfg with b's rule in place of any rule of its id, the
// other rules kept in their order, and whether that changes cfg.
func withBackstop(cfg *lifecycle.Configuration, b Backstop) (*lifecycle.Configuration, bool) {
	out := lifecycle.NewConfiguration()
	found := false
	for _, r := range cfg.Rules {
		if r.ID != BackstopRuleID {
			out.Rules = append(out.Rules, r)
			continue
		}
		if !found && b.matches(r) {
			found = true
			out.Rules = append(out.Rules, r)
		}
		// a rule of IDV's id that differs, or a second one, is dropped
	}
	if found && len(out.Rules) == len(cfg.Rules) {
		return cfg, false
	}
	if !found {
		out.Rules = append(out.Rules, b.rule())
	}
	return out, true
}

// lifecycleRules reads the bucket's lifecycle configuration; none is an
// empty one.
func (s *Store) lifecycleRules(ctx context.Context) (*lifecycle.Configuration, error) {
	cfg, err := s.client.GetBucketLifecycle(ctx, s.bucket)
	switch errorCode(err) {
	case "":
	case "NoSuchLifecycleConfiguration":
		return lifecycle.NewConfiguration(), nil
	case minio.NotImplemented:
		return nil, fmt.Errorf("objects: lifecycle rules of bucket %s: %w", s.bucket, ErrNotSupported)
	}
	if err != nil {
		return nil, fmt.Errorf("objects: read lifecycle rules of bucket %s: %w", s.bucket, notFound(err))
	}
	return cfg, nil
}

// EnsureBackstop sets rule b on the bucket unless it is there as b says,
// keeping the bucket's other lifecycle rules, and reports whether it
// changed anything. A store without lifecycle rules (S3 error
// NotImplemented, as versitygw answers) is ErrNotSupported.
func (s *Store) EnsureBackstop(ctx context.Context, b Backstop) (bool, error) {
	cfg, err := s.lifecycleRules(ctx)
	if err != nil {
		return false, err
	}
	next, changed := withBackstop(cfg, b)
	if !changed {
		return false, nil
	}
	err = s.client.SetBucketLifecycle(ctx, s.bucket, next)
	if errorCode(err) == minio.NotImplemented {
		return false, fmt.Errorf("objects: set lifecycle rule of bucket %s: %w", s.bucket, ErrNotSupported)
	}
	if err != nil {
		return false, fmt.Errorf("objects: set lifecycle rule %s on bucket %s: %w", BackstopRuleID, s.bucket, notFound(err))
	}
	return true, nil
}

// HasBackstop reports whether the bucket's lifecycle rules hold b as
// EnsureBackstop sets it (ErrNotSupported when the store has no lifecycle
// rules).
func (s *Store) HasBackstop(ctx context.Context, b Backstop) (bool, error) {
	cfg, err := s.lifecycleRules(ctx)
	if err != nil {
		return false, err
	}
	_, changed := withBackstop(cfg, b)
	return !changed, nil
}
