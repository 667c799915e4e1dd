-- A delivery refused by the address rules (issue 18 point 5): the notifier
-- ends it at once rather than retrying it for three days, and the tenant's
-- endpoint shows the last refusal since its URL was set (GET /v1/webhook):
-- when, and a code (idv.DeliveryRefusals), never the address the name
-- resolved to. A URL change clears both.
ALTER TABLE tenants ADD COLUMN webhook_refused_at timestamptz;
ALTER TABLE tenants ADD COLUMN webhook_refusal text
    CHECK (webhook_refusal IN ('address_not_allowed', 'url_not_allowed'));
ALTER TABLE tenants ADD CONSTRAINT tenants_webhook_refusal_both
    CHECK ((webhook_refused_at IS NULL) = (webhook_refusal IS NULL));
