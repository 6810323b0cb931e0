package cel

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	v1 "kubevirt.io/api/core/v1"

	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
)

// The tokens that stand for values when Go code prints a message, to learn its shape.
const (
	tokPath   = "@@path@@"
	tokValue  = "@@value@@"
	tokDetail = "@@detail@@"
	// tokIndex is an interface index that no real path prints.
	tokIndex = 987654321
)

// Printing the webhook's way: each function prints what the webhook prints for a finding,
// its shape learnt from the same apimachinery and finding code the webhook uses. value is
// a CEL string expression; paths, details and results are CEL string sums.

// invalidValue prints field.Invalid(path, value, detail) for a state or model value.
func invalidValue(path cat, value string, detail cat) (cat, error) {
	text := field.Invalid(field.NewPath(tokPath), v1.InterfaceState(tokValue), tokDetail).Error()
	return fill(text, hole{tokPath, path}, hole{`"` + tokValue + `"`, quote(value)}, hole{tokDetail, detail})
}

// notSupported prints field.NotSupported(path, value, legal), legal being fixed.
func notSupported(path cat, value string, legal []string) (cat, error) {
	text := field.NotSupported(field.NewPath(tokPath), v1.InterfaceState(tokValue), legal).Error()
	return fill(text, hole{tokPath, path}, hole{`"` + tokValue + `"`, quote(value)})
}

// forbidden prints field.Forbidden(path, detail).
func forbidden(path, detail cat) (cat, error) {
	return fill(field.Forbidden(field.NewPath(tokPath), tokDetail).Error(), hole{tokPath, path}, hole{tokDetail, detail})
}

// warning prints a warning finding about path.
func warning(path, detail cat) (cat, error) {
	return fill(finding.Warn("", field.NewPath(tokPath), tokDetail).Warning, hole{tokPath, path}, hole{tokDetail, detail})
}

// listForm is how the webhook prints several field errors in one message (the aggregate
// apierrors.NewInvalid puts after "is invalid: "): one alone as itself, more between open
// and close, separated by sep.
type listForm struct {
	open, sep, close string
}

func learnListForm() (listForm, error) {
	one := field.Forbidden(field.NewPath("@@one@@"), "x")
	two := field.Forbidden(field.NewPath("@@two@@"), "y")
	if got := (field.ErrorList{one}).ToAggregate().Error(); got != one.Error() {
		return listForm{}, fmt.Errorf("a list of one field error prints as %q, not as the error itself", got)
	}
	text := field.ErrorList{one, two}.ToAggregate().Error()
	i, j := strings.Index(text, one.Error()), strings.Index(text, two.Error())
	if i < 0 || j < i+len(one.Error()) {
		return listForm{}, fmt.Errorf("a list of two field errors prints as %q: neither in order", text)
	}
	return listForm{open: text[:i], sep: text[i+len(one.Error()) : j], close: text[j+len(two.Error()):]}, nil
}
