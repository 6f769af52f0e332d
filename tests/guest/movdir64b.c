// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test: MOVDIR64B on the guest's CPU (our QEMU, patches/qemu/0002).
 *
 * idxd submits descriptors with MOVDIR64B and refuses to load without it.
 * QEMU 7.2's TCG had neither the instruction nor the CPUID bit. Checked
 * here on every machine (the CPU is the same on all of them): CPUID and
 * /proc/cpuinfo report it, idxd's init accepts the CPU, the instruction
 * stores exactly the 64 bytes of its (unaligned) source, a misaligned
 * destination raises #GP and a fault on the source is taken before any
 * byte is written, a 64-byte store is never seen torn by a MOVDIR64B on
 * the other CPU, and a device's register window (edu's BAR0, whose DMA
 * registers at 0x80 take 8-byte writes) receives the 64 bytes, as a DSA
 * portal would.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#include "tap.h"

#define TEAR_ROUNDS	20000

static sigjmp_buf fault_jmp;
static volatile int fault_sig, fault_trapno, fault_code;
static volatile uintptr_t fault_addr;

static void on_fault(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;

	fault_sig = sig;
	fault_code = si->si_code;
	fault_addr = (uintptr_t)si->si_addr;
	fault_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	siglongjmp(fault_jmp, 1);
}

/* MOVDIR64B (%rdx), %rax, encoded as the kernel's movdir64b() does */
static inline void movdir64b(void *dst, const void *src)
{
	asm volatile(".byte 0x66, 0x0f, 0x38, 0xf8, 0x02"
		     : : "a" (dst), "d" (src) : "memory");
}

/* Runs MOVDIR64B; 0, or the signal it raised (trap number in fault_trapno) */
static int try_movdir64b(void *dst, const void *src)
{
	fault_sig = 0;
	fault_trapno = -1;
	if (sigsetjmp(fault_jmp, 1) == 0)
		movdir64b(dst, src);
	return fault_sig;
}

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static int cpuinfo_flag(const char *flag)
{
	static char buf[1 << 16];
	char *line, *save = NULL;

	if (read_file("/proc/cpuinfo", buf, sizeof(buf)) < 0)
		return 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *w, *s2 = NULL;

		if (strncmp(line, "flags", 5))
			continue;
		for (w = strtok_r(line, " \t:", &s2); w; w = strtok_r(NULL, " \t:", &s2))
			if (!strcmp(w, flag))
				return 1;
		return 0;
	}
	return 0;
}

static int klog_has(const char *s)
{
	static char klog[1 << 22];
	int n = klogctl(3, klog, sizeof(klog) - 1);

	klog[n > 0 ? n : 0] = 0;
	return strstr(klog, s) != NULL;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * A writer on CPU 1 stores lines of 0x11 and 0x22 alternately; a reader on
 * CPU 0 copies the line with MOVDIR64B and must never see a mix. Returns
 * the number of torn copies, or -1 if the test could not run.
 */
static int torn_copies(void)
{
	unsigned char *shared, a[64] __attribute__((aligned(64)));
	unsigned char b[64] __attribute__((aligned(64)));
	unsigned char copy[64] __attribute__((aligned(64)));
	volatile int *stop;
	int i, torn = 0, status;
	pid_t pid;

	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -1;
	stop = (volatile int *)(shared + 128);
	memset(a, 0x11, 64);
	memset(b, 0x22, 64);
	movdir64b(shared, a);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		pin(1);
		for (i = 0; !*stop; i++)
			movdir64b(shared, i & 1 ? b : a);
		_exit(0);
	}
	pin(0);
	for (i = 0; i < TEAR_ROUNDS; i++) {
		movdir64b(copy, shared);
		if (!all_bytes(copy, 64, copy[0]))
			torn++;
	}
	*stop = 1;
	waitpid(pid, &status, 0);
	munmap(shared, 4096);
	return torn;
}

/* The BAR0 of the first edu device (1234:11e8), mapped; NULL if none */
static volatile uint64_t *map_edu_bar0(char *bdf, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	char path[512], buf[64], best[64] = "";
	struct dirent *e;
	void *bar;
	int fd;

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", e->d_name);
		if (read_file(path, buf, sizeof(buf)) < 0 || strtoul(buf, NULL, 0) != 0x1234)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", e->d_name);
		if (read_file(path, buf, sizeof(buf)) >= 0 && strtoul(buf, NULL, 0) == 0x11e8 &&
		    (!best[0] || strcmp(e->d_name, best) < 0))
			snprintf(best, sizeof(best), "%.63s", e->d_name);
	}
	if (d)
		closedir(d);
	snprintf(bdf, len, "%s", best[0] ? best : "(no edu)");
	if (!best[0])
		return NULL;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", best);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return NULL;
	bar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return bar == MAP_FAILED ? NULL : bar;
}

/*
 * MOVDIR64B to edu's registers 0x80..0xbf: DMA source, destination, count,
 * command 0 (nothing starts), then offsets edu ignores. Reading the first
 * three back shows the eight 8-byte writes reached the device in place.
 */
static int mmio_store(char *bdf, size_t len)
{
	static const uint64_t line[8] __attribute__((aligned(64))) = {
		0x12345000, 0x6789a000, 0x40, 0, 0x5a5a, 0x5a5a, 0x5a5a, 0x5a5a,
	};
	volatile uint64_t *bar = map_edu_bar0(bdf, len);
	int ok, sig;

	if (!bar)
		return 0;
	sig = try_movdir64b((void *)(bar + 0x80 / 8), line);
	ok = !sig && bar[0x80 / 8] == line[0] && bar[0x88 / 8] == line[1] &&
	     bar[0x90 / 8] == line[2];
	tap_diag("signal %d; read back %#llx %#llx %#llx", sig,
		 (unsigned long long)bar[0x80 / 8], (unsigned long long)bar[0x88 / 8],
		 (unsigned long long)bar[0x90 / 8]);
	munmap((void *)bar, 4096);
	return ok;
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };
	unsigned int eax, ebx, ecx = 0, edx;
	unsigned char *page, *dst, *src;
	long psz = sysconf(_SC_PAGESIZE);
	int sig, ok, torn;
	char bdf[64];

	tap_plan(10);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);

	__cpuid_count(7, 0, eax, ebx, ecx, edx);
	tap_check(ecx & (1u << 28), "CPUID.(7,0):ECX[28] (MOVDIR64B) is set",
		  "CPUID.(7,0) ecx=%#x", ecx);
	tap_ok(cpuinfo_flag("movdir64b"), "/proc/cpuinfo flags list movdir64b");
	tap_check(!klog_has("idxd driver failed to load without MOVDIR64B") &&
		  access("/sys/bus/pci/drivers/idxd", F_OK) == 0,
		  "idxd's init accepts the CPU (pci driver idxd registered)",
		  "idxd refusal in the log: %d", klog_has("without MOVDIR64B"));

	/* Three pages: destination page, source page, an inaccessible page */
	page = mmap(NULL, 3 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		tap_diag("mmap: %s", strerror(errno));
		return 1;
	}
	dst = page + 256;
	src = page + psz + 3;	/* the source need not be aligned */
	for (int i = 0; i < 64; i++)
		src[i] = 0x40 + i;
	memset(page, 0xee, psz);
	sig = try_movdir64b(dst, src);
	tap_check(!sig && !memcmp(dst, src, 64),
		  "the 64 bytes of an unaligned source land at an aligned destination",
		  "signal %d, dst[0]=%#x dst[63]=%#x", sig, dst[0], dst[63]);
	tap_check(all_bytes(page, 256, 0xee) && all_bytes(dst + 64, psz - 256 - 64, 0xee),
		  "no byte outside the 64-byte destination is written",
		  "bytes before %d, after %d", all_bytes(page, 256, 0xee),
		  all_bytes(dst + 64, psz - 256 - 64, 0xee));

	memset(page, 0xee, psz);
	sig = try_movdir64b(dst + 8, src);
	tap_check(sig == SIGSEGV && fault_trapno == 13 && fault_code == SI_KERNEL,
		  "a destination that is not 64-byte aligned raises a general protection fault",
		  "signal %d, trap %d, si_code %#x", sig, fault_trapno, fault_code);
	tap_ok(all_bytes(page, psz, 0xee), "the misaligned store wrote nothing");

	/* A source running into an inaccessible page: #PF there, nothing written */
	mprotect(page + 2 * psz, psz, PROT_NONE);
	memset(page, 0xee, psz);
	sig = try_movdir64b(dst, page + 2 * psz - 32);
	ok = sig == SIGSEGV && fault_trapno == 14 &&
	     fault_addr >= (uintptr_t)(page + 2 * psz) &&
	     fault_addr < (uintptr_t)(page + 2 * psz + 32);
	tap_check(ok && all_bytes(page, psz, 0xee),
		  "a fault on the source is taken before any byte is written",
		  "signal %d, trap %d, address %+ld from the page, destination %s", sig,
		  fault_trapno, (long)(fault_addr - (uintptr_t)(page + 2 * psz)),
		  all_bytes(page, psz, 0xee) ? "untouched" : "written");
	munmap(page, 3 * psz);

	torn = ecx & (1u << 28) ? torn_copies() : -1;
	tap_check(torn == 0, "64-byte stores on one CPU are never seen torn by the other",
		  "%d of %d copies torn", torn, TEAR_ROUNDS);

	ok = ecx & (1u << 28) ? mmio_store(bdf, sizeof(bdf)) : 0;
	tap_check(ok, "a device's registers (edu BAR0 0x80) receive the 64-byte store",
		  "edu %s", bdf);
	return tap_done();
}
