/* SPDX-License-Identifier: MIT */
/* The application processors' first instructions (smp.cpp copies this to a free low page and
 * points the STARTUP IPI at it). An AP starts in real mode with CS = page >> 4, IP = 0
 * (Intel SDM Vol. 3A §9.4.4, §10.6.1); this code is position independent, every linear address
 * is computed from CS: 16-bit real mode -> 32-bit protected mode -> long mode with the
 * parameters the BSP left at the end (ap_params), then a jump to the kernel's ap_start.
 * The parameter block layout is TrampolineParams in smp.cpp. */
#include "arch/x86_64/long_mode.h"

    .section .rodata, "a"
    .balign 16
    .globl ap_trampoline, ap_trampoline_end, ap_params
    .code16
ap_trampoline:
    cli
    cld
    movw %cs, %bx
    movw %bx, %ds
    movw %bx, %ss
    movw $0x1000, %sp                   /* the top of this page: for the far returns */
    movzwl %bx, %ebx
    shll $4, %ebx                       /* %ebx = the page's linear address */
    lgdtl ap_params - ap_trampoline     /* ap_params.gdtr: limit, base (set by the BSP) */
    movl %cr0, %eax
    orl $1, %eax                        /* PE */
    movl %eax, %cr0
    leal (protected - ap_trampoline)(%ebx), %eax
    pushl $0x18                         /* 32-bit code */
    pushl %eax
    lretl

    .code32
protected:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    leal 0x1000(%ebx), %esp
    movl $LONG_MODE_CR4, %eax
    movl %eax, %cr4
    movl (ap_params - ap_trampoline + 16)(%ebx), %eax
    movl %eax, %cr3                     /* ap_params.cr3: identity map + kernel half */
    enable_long_mode_paging
    leal (long_mode - ap_trampoline)(%ebx), %eax
    pushl $0x08                         /* 64-bit code */
    pushl %eax
    lretl

    .code64
long_mode:
    movl %ebx, %ebx                     /* the upper half of %rbx is undefined until written */
    movl $0x10, %eax
    movl %eax, %ss
    movq (ap_params - ap_trampoline + 24)(%rbx), %rsp  /* ap_params.stack_top */
    movq (ap_params - ap_trampoline + 40)(%rbx), %rdi  /* ap_params.cpu */
    movq (ap_params - ap_trampoline + 32)(%rbx), %rax  /* ap_params.entry */
    jmp *%rax

    .balign 8
ap_gdt:
    /* The kernel's selectors for 64-bit code (0x08) and data (0x10), so nothing needs reloading
     * when the AP switches to its own GDT; 32-bit code only here, at 0x18. */
    .quad 0                             /* 0x00 null */
    .quad 0x00af9a000000ffff            /* 0x08 64-bit code */
    .quad 0x00cf92000000ffff            /* 0x10 data */
    .quad 0x00cf9a000000ffff            /* 0x18 32-bit code */
    .globl ap_gdt
    .balign 8
ap_params:
    .word 0                             /* 0: gdtr limit */
    .long 0                             /* 2: gdtr base */
    .word 0
    .quad 0                             /* 8: unused */
    .quad 0                             /* 16: cr3 */
    .quad 0                             /* 24: stack top */
    .quad 0                             /* 32: entry */
    .quad 0                             /* 40: cpu (PerCpu*) */
ap_trampoline_end:
