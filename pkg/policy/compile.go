package policy

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/linkstate-webhook/linkstate-webhook/api/v1alpha1"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/finding"
	"github.com/linkstate-webhook/linkstate-webhook/pkg/linkstate"
)

// Policy is a LinkStatePolicy ready to judge requests: selectors parsed, states and
// networks looked up in constant time. It is immutable.
type Policy struct {
	Name string
	Mode v1alpha1.Mode

	namespaces labels.Selector // nil: every namespace
	objects    labels.Selector // nil: every object
	// allowed has a bit per linkstate.Meaning; allowAll when allowedStates is omitted.
	allowed  uint8
	allowAll bool
	// allowedText lists the allowed states, for messages.
	allowedText string
	protection  protection
	// rules are the built-in rules' effects inside the policy's scope.
	rules         map[finding.Rule]level
	users, groups sets.Set[string]
	message       string
}

// Compile checks a policy (Validate) and prepares it. An error says why the webhook cannot
// apply it; the policy's Ready condition carries it.
func Compile(p *v1alpha1.LinkStatePolicy) (*Policy, error) {
	if errs := Validate(p); len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	s := &p.Spec
	c := &Policy{Name: p.Name, Mode: s.Mode, message: s.Message}
	if c.Mode == "" {
		c.Mode = v1alpha1.ModeEnforce
	}
	var err error
	if c.namespaces, err = selector(s.NamespaceSelector); err != nil {
		return nil, fmt.Errorf("spec.namespaceSelector: %w", err)
	}
	if c.objects, err = selector(s.ObjectSelector); err != nil {
		return nil, fmt.Errorf("spec.objectSelector: %w", err)
	}
	c.allowAll = s.AllowedStates == nil
	c.allow(linkstate.MeaningUnset)
	c.allow(linkstate.MeaningUp)
	for _, st := range s.AllowedStates {
		switch st {
		case v1alpha1.StateDown:
			c.allow(linkstate.MeaningDown)
		case v1alpha1.StateAbsent:
			c.allow(linkstate.MeaningAbsent)
		}
	}
	c.allowedText = c.describeAllowed()
	c.protection = parseProtection(s.ProtectedNetworks)
	if len(s.Rules) > 0 {
		c.rules = make(map[finding.Rule]level, len(s.Rules))
		for id, e := range s.Rules {
			c.rules[finding.Rule(id)] = effectLevel(e)
		}
	}
	if s.Exemptions != nil {
		c.users, c.groups = sets.New(s.Exemptions.Users...), sets.New(s.Exemptions.Groups...)
	}
	return c, nil
}

// selector is nil for an omitted selector, which selects everything. (metav1's conversion
// would make nil select nothing.) A matchLabels key that is not a label key is refused
// here: the CRD cannot check map keys within the API server's CEL cost budget.
func selector(s *v1alpha1.LabelSelector) (labels.Selector, error) {
	if s == nil {
		return nil, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(s.Meta())
	if err != nil {
		return nil, err
	}
	if sel.Empty() {
		return nil, nil
	}
	return sel, nil
}

func (p *Policy) allow(m linkstate.Meaning) { p.allowed |= 1 << m }

// allows reports whether the policy allows a state of this meaning.
func (p *Policy) allows(m linkstate.Meaning) bool {
	return p.allowAll || p.allowed&(1<<m) != 0
}

func (p *Policy) describeAllowed() string {
	switch {
	case p.allows(linkstate.MeaningDown) && p.allows(linkstate.MeaningAbsent):
		return "up, down and absent"
	case p.allows(linkstate.MeaningDown):
		return "up and down"
	case p.allows(linkstate.MeaningAbsent):
		return "up and absent"
	}
	return "up only"
}
