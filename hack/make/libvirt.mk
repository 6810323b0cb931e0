# The launcher side against a real libvirt and QEMU: test/libvirt, behind the build tag
# `libvirt` so that nothing else needs them. hack/libvirt.sh installs libvirt and QEMU
# from Debian's apt when missing, starts libvirtd when none runs, and stops what it started.
# The test binary is built as the calling user and run as root (libvirtd's socket and
# QEMU's logs are root's). Times: docs/launcher.md.
.PHONY: libvirt-test

LIBVIRT_SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

libvirt-test: ## pkg/domain against libvirt (test driver, schema) and a real libvirtd + QEMU guest; installs them from apt
	@./hack/libvirt.sh up; status=0; \
	$(GO) test -c -tags libvirt -o $(BIN)/libvirt.test ./test/libvirt/ && \
	(cd test/libvirt && $(LIBVIRT_SUDO) $(CURDIR)/$(BIN)/libvirt.test -test.v -test.count=1) || status=$$?; \
	./hack/libvirt.sh down; exit $$status

TEST_TARGETS += libvirt-test
