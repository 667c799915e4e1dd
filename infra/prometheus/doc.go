// Package prometheus holds IDV's Prometheus alerting rules (alerts.yml) and
// their unit tests (alerts_test.yml, in promtool's format). It has no code:
// its Go tests run `promtool check rules` and `promtool test rules` when
// IDV_PROMTOOL names a promtool binary (scripts/promtool.sh provides one),
// and check without promtool that every alert has a case where it fires and
// one where it does not.
package prometheus
