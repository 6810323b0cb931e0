package domain

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    []LinkStatus
		wantErr string
	}{{
		name: "a running KubeVirt domain",
		doc:  string(readFixture(t, "libvirt-live.xml")),
		want: []LinkStatus{{"default", "up"}, {"sec", "down"}, {"vendor", "up"}, {"vfnet", ""}, {"vf", ""}},
	}, {
		name: "KubeVirt's own encoding (what a hook sees)",
		doc:  string(readFixture(t, "kubevirt-hook-input.xml")),
		want: []LinkStatus{{"default", "up"}, {"sec", "up"}, {"vendor", "up"}, {"passt", "up"}, {"vf", ""}},
	}, {
		name: "only state='down' is down, as libvirt reads it",
		doc: `<domain><devices>
			<interface type='user'><alias name='ua-a'/><link state='down'/></interface>
			<interface type='user'><alias name='ua-b'/><link state='up'/></interface>
			<interface type='user'><alias name='ua-c'/><link/></interface>
			<interface type='user'><alias name='ua-d'/><link state='DOWN'/></interface>
		</devices></domain>`,
		want: []LinkStatus{{"a", "down"}, {"b", "up"}, {"c", "up"}, {"d", "up"}},
	}, {
		name: "devices without a KubeVirt alias are left out",
		doc: `<domain><devices>
			<interface type='user'><link state='down'/></interface>
			<interface type='user'><alias name='net1'/></interface>
			<interface type='user'><alias name='ua-'/></interface>
			<hostdev mode='subsystem' type='pci'><alias name='ua-sriov-'/></hostdev>
			<hostdev mode='subsystem' type='pci'><alias name='ua-hostdevice-nvme'/></hostdev>
			<disk type='file'><alias name='ua-disk0'/></disk>
		</devices></domain>`,
	}, {
		name: "no devices",
		doc:  `<domain type='qemu'><name>x</name></domain>`,
	}, {
		name:    "not XML",
		doc:     `not xml`,
		wantErr: "domain XML: no <domain> element",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Status([]byte(tc.doc))
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error:\n got %v\nwant %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}
