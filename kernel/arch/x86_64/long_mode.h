/* SPDX-License-Identifier: MIT */
/* Entering long mode from 32-bit protected mode, for the boot CPU (boot.S) and the others
 * (trampoline.S): the same control-register settings on every CPU. Assembler only. */
#pragma once

#define LONG_MODE_CR4 0x6a0          /* PAE | PGE | OSFXSR | OSXMMEXCPT */

/* With CR4 and CR3 set: EFER.LME | NXE | SCE, then paging on (CR0: PG | WP | NE | MP | PE). */
.macro enable_long_mode_paging
    movl $0xc0000080, %ecx
    rdmsr
    orl $0x901, %eax
    wrmsr
    movl $0x80010023, %eax
    movl %eax, %cr0
.endm
