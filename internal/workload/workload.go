// Package workload builds what the performance and reliability measurements send: a
// VirtualMachine shaped like the ones real clusters store — labels, annotations (with
// kubectl's last-applied copy of the whole object), managedFields, disks, volumes,
// cloud-init, resources, scheduling — with any number of interfaces, and the
// AdmissionReviews the API server wraps it in. A toy object would measure JSON overhead
// the webhook never sees in production and hide the cost of skipping what it does not read.
package workload

import (
	"encoding/json"
	"fmt"
	"strings"
)

// States of the generated interfaces. The first interface (masquerade on the pod network)
// is left empty, as users write it; the others cycle through these, so a VM has empty
// states for the mutator to default and explicit ones for the validator to judge.
var secondaryStates = []string{"", "linkUp", "", "linkDown"}

// VM is a VirtualMachine as the API server stores it: name in namespace, n interfaces
// (the first masquerade on the pod network, the others bridge on Multus networks).
// With defaulted, every empty state is already linkUp — the object the validating
// webhook sees after the mutating webhook ran, and what an UPDATE carries.
func VM(name, namespace string, n int, defaulted bool) map[string]any {
	if n < 1 {
		n = 1
	}
	ifaces := make([]any, n)
	networks := make([]any, n)
	ifaceFields := map[string]any{".": map[string]any{}}
	for i := range n {
		iface := map[string]any{"name": netName(i)}
		state := ""
		if i == 0 {
			iface["masquerade"] = map[string]any{}
			iface["ports"] = []any{map[string]any{"name": "ssh", "port": 22, "protocol": "TCP"}}
			networks[i] = map[string]any{"name": netName(i), "pod": map[string]any{}}
		} else {
			iface["bridge"] = map[string]any{}
			iface["macAddress"] = fmt.Sprintf("02:5e:%02x:%02x:%02x:%02x", (i>>24)&0xff, (i>>16)&0xff, (i>>8)&0xff, i&0xff)
			state = secondaryStates[(i-1)%len(secondaryStates)]
			networks[i] = map[string]any{"name": netName(i), "multus": map[string]any{"networkName": "tenant-" + netName(i)}}
		}
		if state == "" && defaulted {
			state = "linkUp"
		}
		if state != "" {
			iface["state"] = state
		}
		ifaces[i] = iface
		ifaceFields[fmt.Sprintf(`k:{"name":%q}`, netName(i))] = map[string]any{
			".": map[string]any{}, "f:name": map[string]any{}, "f:bridge": map[string]any{}, "f:state": map[string]any{},
		}
	}

	templateSpec := map[string]any{
		"architecture": "amd64",
		"domain": map[string]any{
			"cpu":      map[string]any{"cores": 2, "sockets": 1, "threads": 1, "model": "host-passthrough"},
			"memory":   map[string]any{"guest": "4Gi"},
			"machine":  map[string]any{"type": "q35"},
			"firmware": map[string]any{"bootloader": map[string]any{"efi": map[string]any{"secureBoot": false}}, "serial": "5a1d8a8e-2f4c-4c59-9a57-6f1c1b1a0c3d"},
			"features": map[string]any{"acpi": map[string]any{}, "smm": map[string]any{"enabled": true}},
			"resources": map[string]any{
				"requests": map[string]any{"cpu": "2", "memory": "4Gi"},
				"limits":   map[string]any{"cpu": "4", "memory": "4Gi"},
			},
			"devices": map[string]any{
				"disks": []any{
					map[string]any{"name": "rootdisk", "bootOrder": 1, "disk": map[string]any{"bus": "virtio"}},
					map[string]any{"name": "datadisk", "disk": map[string]any{"bus": "virtio"}, "serial": "data-0001"},
					map[string]any{"name": "cloudinitdisk", "disk": map[string]any{"bus": "virtio"}},
				},
				"interfaces":                 ifaces,
				"rng":                        map[string]any{},
				"autoattachGraphicsDevice":   false,
				"autoattachSerialConsole":    true,
				"networkInterfaceMultiqueue": true,
			},
		},
		"networks": networks,
		"volumes": []any{
			map[string]any{"name": "rootdisk", "dataVolume": map[string]any{"name": name + "-rootdisk"}},
			map[string]any{"name": "datadisk", "persistentVolumeClaim": map[string]any{"claimName": name + "-data"}},
			map[string]any{"name": "cloudinitdisk", "cloudInitNoCloud": map[string]any{
				"userData": cloudInitUserData, "networkData": cloudInitNetworkData,
			}},
		},
		"terminationGracePeriodSeconds": 180,
		"evictionStrategy":              "LiveMigrate",
		"nodeSelector":                  map[string]any{"kubernetes.io/arch": "amd64", "node-role.kubernetes.io/worker": ""},
		"tolerations": []any{map[string]any{
			"key": "kubevirt.io/dedicated", "operator": "Equal", "value": "vms", "effect": "NoSchedule",
		}},
		"affinity": map[string]any{"podAntiAffinity": map[string]any{
			"preferredDuringSchedulingIgnoredDuringExecution": []any{map[string]any{
				"weight": 100,
				"podAffinityTerm": map[string]any{
					"topologyKey":   "kubernetes.io/hostname",
					"labelSelector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": "billing-db"}},
				},
			}},
		}},
	}
	labels := map[string]any{
		"app.kubernetes.io/name": "billing-db", "app.kubernetes.io/part-of": "billing",
		"app.kubernetes.io/managed-by": "argocd", "env": "production", "team": "payments",
		"kubevirt.io/os": "fedora",
	}
	spec := map[string]any{
		"runStrategy": "Always",
		"dataVolumeTemplates": []any{map[string]any{
			"metadata": map[string]any{"name": name + "-rootdisk"},
			"spec": map[string]any{
				"storage": map[string]any{
					"accessModes": []any{"ReadWriteMany"}, "volumeMode": "Block",
					"resources":        map[string]any{"requests": map[string]any{"storage": "30Gi"}},
					"storageClassName": "ceph-block",
				},
				"sourceRef": map[string]any{"kind": "DataSource", "name": "fedora", "namespace": "kubevirt-os-images"},
			},
		}},
		"template": map[string]any{
			"metadata": map[string]any{
				"labels":      map[string]any{"app.kubernetes.io/name": "billing-db", "kubevirt.io/domain": name, "kubevirt.io/size": "medium"},
				"annotations": map[string]any{"vm.kubevirt.io/flavor": "medium", "vm.kubevirt.io/os": "fedora", "vm.kubevirt.io/workload": "server"},
			},
			"spec": templateSpec,
		},
	}
	applied := map[string]any{
		"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
		"metadata": map[string]any{"name": name, "namespace": namespace, "labels": labels},
		"spec":     spec,
	}
	lastApplied, err := json.Marshal(applied)
	if err != nil {
		panic(err) // only maps, strings and numbers: cannot fail
	}

	return map[string]any{
		"apiVersion": "kubevirt.io/v1",
		"kind":       "VirtualMachine",
		"metadata": map[string]any{
			"name":              name,
			"namespace":         namespace,
			"uid":               "6f1c0e2a-3b1d-4e0e-9f3c-5d2a8b7c1e90",
			"resourceVersion":   "48151623",
			"generation":        3,
			"creationTimestamp": "2025-11-03T09:14:27Z",
			"labels":            labels,
			"annotations": map[string]any{
				"kubectl.kubernetes.io/last-applied-configuration": string(lastApplied) + "\n",
				"kubevirt.io/latest-observed-api-version":          "v1",
				"kubevirt.io/storage-observed-api-version":         "v1",
				"argocd.argoproj.io/tracking-id":                   "billing:kubevirt.io/VirtualMachine:" + namespace + "/" + name,
				"description":                                      "primary database VM of the billing service; owner payments-oncall",
			},
			"finalizers": []any{"kubevirt.io/virtualMachineControllerFinalize"},
			"managedFields": []any{
				map[string]any{
					"manager": "argocd-controller", "operation": "Update", "apiVersion": "kubevirt.io/v1",
					"time": "2025-11-03T09:14:27Z", "fieldsType": "FieldsV1",
					"fieldsV1": map[string]any{
						"f:metadata": map[string]any{
							"f:annotations": map[string]any{".": map[string]any{}, "f:kubectl.kubernetes.io/last-applied-configuration": map[string]any{}, "f:argocd.argoproj.io/tracking-id": map[string]any{}},
							"f:labels":      map[string]any{".": map[string]any{}, "f:app.kubernetes.io/name": map[string]any{}, "f:env": map[string]any{}, "f:team": map[string]any{}},
						},
						"f:spec": map[string]any{
							".": map[string]any{}, "f:runStrategy": map[string]any{}, "f:dataVolumeTemplates": map[string]any{},
							"f:template": map[string]any{".": map[string]any{}, "f:spec": map[string]any{
								".": map[string]any{},
								"f:domain": map[string]any{".": map[string]any{}, "f:devices": map[string]any{
									".": map[string]any{}, "f:disks": map[string]any{}, "f:interfaces": ifaceFields,
								}},
								"f:networks": map[string]any{}, "f:volumes": map[string]any{},
							}},
						},
					},
				},
				map[string]any{
					"manager": "virt-controller", "operation": "Update", "apiVersion": "kubevirt.io/v1",
					"time": "2025-11-03T09:15:02Z", "fieldsType": "FieldsV1", "subresource": "status",
					"fieldsV1": map[string]any{"f:status": map[string]any{
						".": map[string]any{}, "f:conditions": map[string]any{}, "f:created": map[string]any{},
						"f:desiredGeneration": map[string]any{}, "f:observedGeneration": map[string]any{},
						"f:printableStatus": map[string]any{}, "f:ready": map[string]any{}, "f:volumeSnapshotStatuses": map[string]any{},
					}},
				},
			},
		},
		"spec": spec,
	}
}

// Running gives vm the status KubeVirt writes while its VMI runs.
func Running(vm map[string]any) map[string]any {
	condition := func(typ string) map[string]any {
		return map[string]any{"type": typ, "status": "True", "lastProbeTime": nil, "lastTransitionTime": "2025-11-03T09:15:02Z"}
	}
	vm["status"] = map[string]any{
		"created": true, "ready": true, "printableStatus": "Running", "runStrategy": "Always",
		"desiredGeneration": 3, "observedGeneration": 3,
		"conditions": []any{condition("Ready"), condition("LiveMigratable"), condition("AgentConnected")},
		"volumeSnapshotStatuses": []any{
			map[string]any{"name": "rootdisk", "enabled": true},
			map[string]any{"name": "datadisk", "enabled": false, "reason": "No VolumeSnapshotClass: Volume snapshots are not configured for this StorageClass [ceph-block] [datadisk]"},
			map[string]any{"name": "cloudinitdisk", "enabled": false, "reason": "Snapshot is not supported for this volumeSource type [cloudinitdisk]"},
		},
	}
	return vm
}

// ForCreate strips what only the API server sets (uid, resourceVersion, managedFields,
// status, ...), leaving what a client sends on CREATE.
func ForCreate(vm map[string]any) map[string]any {
	meta := vm["metadata"].(map[string]any)
	for _, k := range []string{"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "finalizers"} {
		delete(meta, k)
	}
	delete(vm, "status")
	return vm
}

// Op is an admission operation.
type Op string

const (
	Create Op = "CREATE"
	Update Op = "UPDATE"
)

// Review is the AdmissionReview v1 the API server sends for a VirtualMachine: obj on
// CREATE; obj and old on UPDATE. uid tells requests apart.
func Review(uid string, op Op, obj, old map[string]any) []byte {
	return review(uid, op, obj, old, map[string]any{
		"username": "system:serviceaccount:argocd:argocd-application-controller",
		"uid":      "0b8c2a8e-51f3-4a8d-8d57-3e0f7c1d9a11",
		"groups":   []any{"system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"},
		"extra": map[string]any{
			"authentication.kubernetes.io/credential-id": []any{"JTI=7f1e6c2b-4f0a-4c1e-9d2a-0c5b6a7d8e9f"},
			"authentication.kubernetes.io/node-name":     []any{"worker-3"},
			"authentication.kubernetes.io/pod-name":      []any{"argocd-application-controller-0"},
		},
	})
}

func review(uid string, op Op, obj, old, user map[string]any) []byte {
	meta := obj["metadata"].(map[string]any)
	gvk := map[string]any{"group": "kubevirt.io", "version": "v1", "kind": "VirtualMachine"}
	gvr := map[string]any{"group": "kubevirt.io", "version": "v1", "resource": "virtualmachines"}
	options := map[string]any{"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions", "fieldManager": "argocd-controller"}
	if op == Update {
		options["kind"] = "UpdateOptions"
	}
	req := map[string]any{
		"uid": uid, "kind": gvk, "resource": gvr, "requestKind": gvk, "requestResource": gvr,
		"name": meta["name"], "namespace": meta["namespace"], "operation": string(op),
		"userInfo": user,
		"object":   obj, "oldObject": nil, "dryRun": false, "options": options,
	}
	if op == Update {
		req["oldObject"] = old
	}
	body, err := json.Marshal(map[string]any{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req})
	if err != nil {
		panic(err) // only maps, strings and numbers: cannot fail
	}
	return body
}

// The uids of CreateReview and UpdateReview.
const (
	CreateUID = "c0ffee00-0000-4000-8000-000000000001"
	UpdateUID = "c0ffee00-0000-4000-8000-000000000002"
)

// CreateReview is the review of creating a VM with n interfaces: the mutating webhook
// sees the user's object, the validating webhook the mutated one (defaulted).
func CreateReview(n int, defaulted bool) []byte {
	return Review(CreateUID, Create, VM("billing-db-0", "billing", n, defaulted), nil)
}

// UpdateReview is the review of relabelling a running VM with n interfaces: the common
// UPDATE (GitOps sync, a controller touching metadata), old and new object in full.
func UpdateReview(n int) []byte {
	old := Running(VM("billing-db-0", "billing", n, true))
	obj := Running(VM("billing-db-0", "billing", n, true))
	obj["metadata"].(map[string]any)["labels"].(map[string]any)["release"] = "2025-11-04"
	return Review(UpdateUID, Update, obj, old)
}

func netName(i int) string {
	if i == 0 {
		return "default"
	}
	return fmt.Sprintf("net-%d", i)
}

var cloudInitUserData = strings.Join([]string{
	"#cloud-config",
	"hostname: billing-db-0",
	"users:",
	"  - name: ops",
	"    sudo: ALL=(ALL) NOPASSWD:ALL",
	"    shell: /bin/bash",
	"    ssh_authorized_keys:",
	"      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG2b3m8kq0Vw1xPp6gk1c8k2q3mJ1f4qXo0n9n8C7uX ops@bastion",
	"      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk2p1m7Xq8Vn3b5c6d7e8f9g0h1i2j3k4l5m6n7o8p9 deploy@ci",
	"package_update: true",
	"packages: [postgresql-server, postgresql-contrib, qemu-guest-agent, chrony]",
	"write_files:",
	"  - path: /etc/chrony.conf",
	"    content: |",
	"      server ntp1.internal iburst",
	"      server ntp2.internal iburst",
	"runcmd:",
	"  - [systemctl, enable, --now, qemu-guest-agent]",
	"  - [postgresql-setup, --initdb]",
	"  - [systemctl, enable, --now, postgresql]",
	"",
}, "\n")

var cloudInitNetworkData = strings.Join([]string{
	"version: 2",
	"ethernets:",
	"  eth0:",
	"    dhcp4: true",
	"  eth1:",
	"    addresses: [10.20.30.41/24]",
	"    routes: [{to: 10.20.0.0/16, via: 10.20.30.1}]",
	"",
}, "\n")

// SmallVM is the smallest VirtualMachine worth reviewing, as a user might write it: a
// name, four interfaces (masquerade on the pod network, bridges on Multus networks, states
// as in VM) and their networks, and nothing else.
func SmallVM(defaulted bool) map[string]any {
	ifaces := make([]any, 4)
	networks := make([]any, 4)
	for i := range 4 {
		iface := map[string]any{"name": netName(i), "bridge": map[string]any{}}
		networks[i] = map[string]any{"name": netName(i), "multus": map[string]any{"networkName": "tenant-" + netName(i)}}
		state := ""
		if i == 0 {
			iface = map[string]any{"name": netName(i), "masquerade": map[string]any{}}
			networks[i] = map[string]any{"name": netName(i), "pod": map[string]any{}}
		} else {
			state = secondaryStates[(i-1)%len(secondaryStates)]
		}
		if state == "" && defaulted {
			state = "linkUp"
		}
		if state != "" {
			iface["state"] = state
		}
		ifaces[i] = iface
	}
	return map[string]any{
		"apiVersion": "kubevirt.io/v1",
		"kind":       "VirtualMachine",
		"metadata":   map[string]any{"name": "small", "namespace": "billing"},
		"spec": map[string]any{
			"runStrategy": "Always",
			"template": map[string]any{"spec": map[string]any{
				"domain":   map[string]any{"devices": map[string]any{"interfaces": ifaces}},
				"networks": networks,
			}},
		},
	}
}

// SmallReview is the create review of SmallVM (defaulted: as the validating webhook sees
// it) by a user, about 1 KB with the review's envelope.
func SmallReview(defaulted bool) []byte {
	return review(CreateUID, Create, SmallVM(defaulted), nil, map[string]any{"username": "alice", "groups": []any{"system:authenticated"}})
}
