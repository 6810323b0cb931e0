package finding

// Rule is the ID of a rule in the README's tables ("What it enforces", "What it changes",
// "Live migration"). IDs never change meaning: metrics, logs and dashboards key on them.
type Rule string

// The validating rules.
const (
	RuleValue             Rule = "V1"
	RuleSRIOV             Rule = "B1"
	RulePasstBinding      Rule = "B3"
	RuleBindingPlugin     Rule = "B4"
	RuleAbsentBinding     Rule = "A1"
	RuleAbsentDefault     Rule = "A2"
	RuleDefaultNetDown    Rule = "P1"
	RuleAbsentIsFinal     Rule = "T1"
	RuleHotplugNotBridged Rule = "T2"
	RuleMigrationStamp    Rule = "M2"
)

// The mutations that report something (D2's warning about a rewritten alias).
const (
	RuleDefaultUp     Rule = "D1"
	RuleAliasRewrite  Rule = "D2"
	RuleMigrationCopy Rule = "M1"
)

// The rules of LinkStatePolicies (docs/policy.md). A policy's finding carries one of these,
// or the built-in rule whose effect the policy changed, and the policy's name.
const (
	// RulePolicyState: a link state the policy does not allow (spec.allowedStates).
	RulePolicyState Rule = "L1"
	// RulePolicyNetwork: link down or absent on a protected network (spec.protectedNetworks).
	RulePolicyNetwork Rule = "L2"
)
