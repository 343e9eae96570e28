/* SPDX-License-Identifier: MIT */
/* The instruction probes cpu_probe.cpp runs, one tiny 64-bit CPL0 program each (DESIGN.md §8:
 * this host's CPL0 emulator lacks some instructions the CPUID advertises). Each program is
 * copied to guest-physical kCodeGpa and ends with `out %al, $0x80`: reaching that port means
 * the instruction worked; a fault (no IDT: triple fault), an emulation failure or a wrong
 * result in %rax means it did not. Guest memory (see cpu_probe.cpp): data at 0x5000..0x6000,
 * user-mode code at 0x9000. Plain bytes in .rodata, never executed on the host. */
#define DATA_XSAVE  0x5000  /* 64-byte aligned XSAVE area */
#define DATA_CX16   0x5800  /* 16-byte aligned, zero */
#define DATA_MOVBE  0x5c00  /* 0x11223344 */
#define USER_CODE   0x9000  /* 1: syscall; jmp 1b */
#define SYSCALL_ENTRY 0x8040 /* kCodeGpa + 0x40, in the sysret probe */

#define PROBE(name) .globl wisp_probe_##name, wisp_probe_##name##_end; wisp_probe_##name:
#define END(name) out %al, $0x80; wisp_probe_##name##_end:

    .section .rodata.wisp_probes, "a"
    .code64

PROBE(baseline)                 /* the machinery itself: must always work */
    mov $42, %eax
END(baseline)

PROBE(xsave)                    /* needs CR4.OSXSAVE */
    mov $DATA_XSAVE, %edi
    xor %edx, %edx
    mov $3, %eax                /* x87 | SSE */
    xsave (%rdi)
    mov $3, %eax
    xrstor (%rdi)
    xor %ecx, %ecx
    xgetbv                      /* XCR0 */
END(xsave)

PROBE(xsaveopt)
    mov $DATA_XSAVE, %edi
    xor %edx, %edx
    mov $3, %eax
    xsaveopt (%rdi)
END(xsaveopt)

PROBE(xsavec)
    mov $DATA_XSAVE, %edi
    xor %edx, %edx
    mov $3, %eax
    xsavec (%rdi)
END(xsavec)

PROBE(avx)                      /* needs CR4.OSXSAVE; XCR0 = x87 | SSE | AVX */
    xor %ecx, %ecx
    xor %edx, %edx
    mov $7, %eax
    xsetbv
    vxorps %ymm0, %ymm0, %ymm0
    vmovdqu %ymm0, %ymm1
END(avx)

PROBE(avx2)
    xor %ecx, %ecx
    xor %edx, %edx
    mov $7, %eax
    xsetbv
    vpaddd %ymm0, %ymm0, %ymm0
END(avx2)

PROBE(avx512)                   /* XCR0 = x87 | SSE | AVX | opmask | ZMM_Hi256 | Hi16_ZMM */
    xor %ecx, %ecx
    xor %edx, %edx
    mov $0xe7, %eax
    xsetbv
    vpxord %zmm0, %zmm0, %zmm0
END(avx512)

PROBE(smap)
    stac
    clac
END(smap)

/* CPL0 -> sysretq -> CPL3 -> syscall -> CPL0, twice, as a kernel does. On the nested host of
 * DESIGN.md §8 the first sysretq (from a fresh CPL0 state) works and the second (after a
 * syscall entry) triple-faults, so one round trip would not tell. */
PROBE(sysret)
    mov $0xc0000081, %ecx       /* STAR: kernel CS 0x08; user SS = 0x10 + 8, CS = 0x10 + 16 */
    xor %eax, %eax
    mov $0x00100008, %edx
    wrmsr
    mov $0xc0000082, %ecx       /* LSTAR: the syscall entry below */
    mov $SYSCALL_ENTRY, %eax
    xor %edx, %edx
    wrmsr
    mov $0xc0000084, %ecx       /* SFMASK: IF, TF, DF, AC cleared on entry */
    mov $0x40700, %eax
    wrmsr
    xor %r12d, %r12d
    mov $USER_CODE, %ecx
    mov $0x202, %r11d           /* user RFLAGS: IF set, like any user thread */
    sysretq
    .skip 0x40 - (. - wisp_probe_sysret)
    /* SYSCALL_ENTRY = kCodeGpa + 0x40: back at CPL0 after the user's syscall */
    inc %r12d
    cmp $2, %r12d
    je 1f
    sysretq
1:  mov %rcx, %rax              /* the user's return address: kUserCode + 2 */
END(sysret)

PROBE(popcnt)                   /* %rax = 8 */
    mov $0xff, %eax
    popcnt %rax, %rax
END(popcnt)

PROBE(cx16)                     /* %rax = 0x1234 */
    mov $DATA_CX16, %edi
    xor %eax, %eax
    xor %edx, %edx
    mov $0x1234, %ebx
    mov $0x5678, %ecx
    lock cmpxchg16b (%rdi)
    mov (%rdi), %rax
END(cx16)

PROBE(rdtscp)
    rdtscp
END(rdtscp)

PROBE(rdpid)
    rdpid %rax
END(rdpid)

PROBE(sse42)                    /* %rax = CRC32C step, checked by cpu_probe.cpp */
    mov $0xffffffff, %eax
    mov $0x12345678, %ecx
    crc32l %ecx, %eax
END(sse42)

PROBE(bmi1)                     /* %rax = ~0xf0 & 0xff = 0x0f */
    mov $0xf0, %ebx
    mov $0xff, %ecx
    andn %rcx, %rbx, %rax
END(bmi1)

PROBE(bmi2)                     /* %rax = 3 << 4 = 0x30 */
    mov $3, %ebx
    mov $4, %ecx
    shlx %rcx, %rbx, %rax
END(bmi2)

PROBE(lzcnt)                    /* %rax = 63 (bsr, what lzcnt decodes to without ABM, gives 0) */
    mov $1, %eax
    lzcnt %rax, %rax
END(lzcnt)

PROBE(movbe)                    /* %rax = 0x44332211 */
    mov $DATA_MOVBE, %edi
    movbe (%rdi), %eax
END(movbe)

PROBE(fsgsbase)                 /* needs CR4.FSGSBASE; %rax = 0x1234 */
    mov $0x1234, %eax
    wrfsbase %rax
    xor %eax, %eax
    rdfsbase %rax
END(fsgsbase)

PROBE(rdrand)
    rdrand %rax
END(rdrand)

PROBE(rdseed)
    rdseed %rax
END(rdseed)

    .section .note.GNU-stack, "", @progbits
