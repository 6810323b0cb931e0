package main

import "runtime/debug"

// buildVersion is stamped by `make build`, `make image` and the Dockerfile:
// -ldflags "-X main.buildVersion=$(git describe --tags --always --dirty)".
var buildVersion string

// unknownVersion is what a build that carries no version information reports.
const unknownVersion = "(devel)"

// version is what `webhook version` prints and the startup log reports.
func version() string {
	info, _ := debug.ReadBuildInfo()
	return describeVersion(buildVersion, info)
}

// describeVersion picks the most precise version a build carries, in this order:
//  1. the stamped version (-X main.buildVersion);
//  2. the module version Go recorded: the tag of `go install …@v1.2.3`, or the version Go
//     derives from the checkout it built in (v0.1.0, v0.1.1-0.20260102030405-0a63bd7c12ab,
//     +dirty when the checkout had changes);
//  3. the commit Go recorded from the checkout, when it could not turn it into a module
//     version (the module is not at the repository's root): "0a63bd7c12ab", "-dirty" added
//     when the checkout had changes;
//  4. "(devel)".
//
// Go records 2 and 3 only with -buildvcs (on by default, off on machines that set
// GOFLAGS=-buildvcs=false) and only in a checkout whose .git is a directory: a git
// worktree's .git is a file, and Go does not stamp builds made there.
func describeVersion(stamped string, info *debug.BuildInfo) string {
	if stamped != "" {
		return stamped
	}
	if info == nil {
		return unknownVersion
	}
	if v := info.Main.Version; v != "" && v != unknownVersion {
		return v
	}
	var revision string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if revision == "" {
		return unknownVersion
	}
	// Twelve hex digits, as in Go's pseudo-versions: unique in any repository of this size.
	if len(revision) > 12 {
		revision = revision[:12]
	}
	if modified {
		revision += "-dirty"
	}
	return revision
}
