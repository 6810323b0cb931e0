// Package validatetest is the rule table of pkg/validate: every row the unit tests check
// the pure rules against, with the findings each must give. It is exported (as net/http
// has httptest) so that other tests run the very same rows: the mutation properties in
// pkg/validate, and the proof through a real API server that the generated CEL admission
// policies (pkg/cel) give the webhook's verdicts (test/cel).
package validatetest
