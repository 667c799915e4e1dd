-- Webhook secret rotation (issue 17 point 4): a rotated-out secret keeps
-- signing deliveries, beside the new one, until its overlap ends; the
-- notifier ignores a row whose end has passed, and the next rotation deletes
-- such rows. Stored sealed by the vault like tenants.webhook_secret_sealed
-- (schemas.WebhookSecretPurpose); no personal data.
CREATE TABLE webhook_secrets_retiring (
    tenant_id     uuid NOT NULL REFERENCES tenants (tenant_id),
    secret_sealed bytea NOT NULL,
    retired_at    timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL CHECK (ends_at > retired_at)
);
CREATE INDEX webhook_secrets_retiring_tenant ON webhook_secrets_retiring (tenant_id, ends_at);
SELECT idv_isolate('webhook_secrets_retiring');
