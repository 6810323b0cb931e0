package server

// The paths the webhook configurations call, in the form kubebuilder generates:
// /{mutate,validate}-<group with dashes>-<version>-<lowercase kind>.
const (
	PathMutateVM    = "/mutate-kubevirt-io-v1-virtualmachine"
	PathValidateVM  = "/validate-kubevirt-io-v1-virtualmachine"
	PathMutateVMI   = "/mutate-kubevirt-io-v1-virtualmachineinstance"
	PathValidateVMI = "/validate-kubevirt-io-v1-virtualmachineinstance"

	PathMutateVMIM   = "/mutate-kubevirt-io-v1-virtualmachineinstancemigration"
	PathValidateVMIM = "/validate-kubevirt-io-v1-virtualmachineinstancemigration"
)

// PathDialect answers GET with the dialect in force and its evidence, as JSON, on the
// webhook port (TLS): what the chart's helm test reads.
const PathDialect = "/dialect"
