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
