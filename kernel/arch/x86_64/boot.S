/* SPDX-License-Identifier: MIT */
/* PVH entry: 32-bit protected mode, paging off, %ebx = hvm_start_info (physical).
 * Turns on long mode with page tables that are fully built at assembly time (no loops at CPL0:
 * every instruction here is emulated on nested KVM), then jumps to the higher half.
 *
 * Boot page tables (2 MiB pages):
 *   PML4[0]   -> pdpt_low    -> pd[0]         identity 0..1 GiB (dropped after the jump)
 *   PML4[256] -> pdpt_direct -> pd[0..7]      direct map 0..8 GiB at 0xffff800000000000
 *   PML4[511] -> pdpt_kernel[510] -> pd[0]    kernel at 0xffffffff80000000 = phys 0
 */
#include "arch/x86_64/long_mode.h"

#define KERNEL_VIRT 0xffffffff80000000
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80
#define PTE_G 0x100

    .pushsection .note.Xen, "a", @note
    .balign 4
    .long 4                 /* namesz */
    .long 4                 /* descsz */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .long pvh_start32
    .balign 4
    .popsection

    .section .boot.text, "ax"
    .code32
    .globl pvh_start32
pvh_start32:
    cli
    rdtsc
    movl %eax, boot_tsc
    movl %edx, boot_tsc + 4
    movl %ebx, %edi
    movl $LONG_MODE_CR4, %eax
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    enable_long_mode_paging
    lgdt boot_gdtr
    ljmp $0x08, $long_mode

    .code64
long_mode:
    movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs
    movabsq $higher_half, %rax
    jmp *%rax

    .section .boot.data, "aw"
    .balign 4096
    .globl boot_pml4
boot_pml4:
    .quad pdpt_low + PTE_P + PTE_W
    .fill 255, 8, 0
    .quad pdpt_direct + PTE_P + PTE_W
    .fill 254, 8, 0
    .quad pdpt_kernel + PTE_P + PTE_W
    .globl pdpt_low
pdpt_low:
    .quad boot_pd + PTE_P + PTE_W
    .fill 511, 8, 0
pdpt_direct:
    .set i, 0
    .rept 8
    .quad boot_pd + i * 4096 + PTE_P + PTE_W
    .set i, i + 1
    .endr
    .fill 504, 8, 0
pdpt_kernel:
    .fill 510, 8, 0
    .quad boot_pd + PTE_P + PTE_W
    .quad 0
    .globl boot_pd
boot_pd:
    .set addr, 0
    .rept 8 * 512
    .quad addr + PTE_P + PTE_W + PTE_PS + PTE_G
    .set addr, addr + 0x200000
    .endr

    .balign 16
    .globl boot_gdt
boot_gdt:
    .quad 0                             /* 0x00 null */
    .quad 0x00af9a000000ffff            /* 0x08 kernel code, 64-bit */
    .quad 0x00cf92000000ffff            /* 0x10 kernel data */
    .quad 0x00cff2000000ffff            /* 0x18 user data (SYSRET: STAR[63:48] + 8) */
    .quad 0x00affa000000ffff            /* 0x20 user code, 64-bit (STAR[63:48] + 16) */
    .quad 0, 0                          /* 0x28 TSS, filled in by cpu_init */
boot_gdt_end:
boot_gdtr:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt
    .balign 8
    .globl boot_tsc
boot_tsc:
    .quad 0

    .section .text.entry, "ax"
higher_half:
    leaq boot_stack_top(%rip), %rsp
    movl %edi, %edi
    xorl %ebp, %ebp
    call kernel_main
1:  hlt
    jmp 1b

    .section .bss
    .balign 16
boot_stack:
    .skip 16384
boot_stack_top:
