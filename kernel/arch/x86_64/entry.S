/* SPDX-License-Identifier: MIT */
/* Kernel entry and exit: exception stubs, the SYSCALL entry, the return to user mode.
 * All paths build a TrapFrame (trap_frame.h) and leave through trap_return with iretq: the CPL0
 * emulator on nested KVM has no sysret (DESIGN.md §8).
 * Per-CPU block at %gs (kernel GS base): 0 self, 8 kernel stack top, 16 user rsp scratch. */

#define PERCPU_KERNEL_RSP 8
#define PERCPU_USER_RSP 16
#define USER_CS 0x23
#define USER_SS 0x1b

    .text
    .macro PUSH_GPRS
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    .endm

    .macro POP_GPRS
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    .endm

    .macro ISR_NOERR n
    .balign 16
    pushq $0
    pushq $\n
    jmp trap_common
    .endm
    .macro ISR_ERR n
    .balign 16
    pushq $\n
    jmp trap_common
    .endm

/* 32 stubs, 16 bytes apart: the IDT entry for vector n is isr_stubs + 16 * n. */
    .balign 16
    .globl isr_stubs
isr_stubs:
    ISR_NOERR 0
    ISR_NOERR 1
    ISR_NOERR 2
    ISR_NOERR 3
    ISR_NOERR 4
    ISR_NOERR 5
    ISR_NOERR 6
    ISR_NOERR 7
    ISR_ERR 8
    ISR_NOERR 9
    ISR_ERR 10
    ISR_ERR 11
    ISR_ERR 12
    ISR_ERR 13
    ISR_ERR 14
    ISR_NOERR 15
    ISR_NOERR 16
    ISR_ERR 17
    ISR_NOERR 18
    ISR_NOERR 19
    ISR_NOERR 20
    ISR_ERR 21
    ISR_NOERR 22
    ISR_NOERR 23
    ISR_NOERR 24
    ISR_NOERR 25
    ISR_NOERR 26
    ISR_NOERR 27
    ISR_NOERR 28
    ISR_ERR 29
    ISR_ERR 30
    ISR_NOERR 31

/* Interrupts: the local APIC timer (vector 32) and the spurious vector (255). */
    .balign 16
    .globl irq_timer_stub
irq_timer_stub:
    pushq $0
    pushq $32
    jmp trap_common
    .balign 16
    .globl irq_spurious_stub
irq_spurious_stub:
    pushq $0
    pushq $255
    jmp trap_common

/* Inter-processor interrupts (smp.cpp). The kick goes the common way (it takes the big kernel
   lock, like every interrupt); the TLB flush must not wait for the lock, whose holder may be
   waiting for this very flush: its own short path saves only the caller-saved registers. */
    .balign 16
    .globl irq_kick_stub
irq_kick_stub:
    pushq $0
    pushq $33
    jmp trap_common
    .balign 16
    .globl irq_flush_stub
irq_flush_stub:
    testb $3, 8(%rsp)           /* CS of the interrupted context */
    jz 1f
    swapgs
1:  pushq %rax
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    cld
    call flush_interrupt
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rax
    testb $3, 8(%rsp)
    jz 2f
    swapgs
2:  iretq

/* Device interrupts: IOAPIC input n arrives as vector 48 + n (x86::kDeviceVectorBase), 24
   stubs (the IOAPIC's 24 inputs) 16 bytes apart. */
    .balign 16
    .globl irq_device_stubs
irq_device_stubs:
    .irp n, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71
    ISR_NOERR \n
    .endr

trap_common:
    testb $3, 24(%rsp)          /* CS of the interrupted context */
    jz 1f
    swapgs
1:  PUSH_GPRS
    movq %rsp, %rdi
    cld
    call trap_dispatch
    .globl trap_return
trap_return:
    testb $3, 144(%rsp)         /* CS in the TrapFrame */
    jz 1f
    cmpl $0, big_lock_in_use(%rip)
    je 1f
    /* Back to user mode: this CPU leaves the kernel and lets go of the big kernel lock that
       every entry from user mode took; a CPU that halted waiting for it is woken (smp.cpp).
       The exchange is a full barrier between the release and the look at the waiters. */
    xorl %eax, %eax
    xchgl %eax, big_kernel_lock(%rip)
    cmpq $0, big_lock_waiters(%rip)
    je 1f
    call big_lock_wake_waiter
1:  POP_GPRS
    testb $3, 24(%rsp)
    jz 2f
    swapgs
2:  addq $16, %rsp              /* vector, error code */
    iretq

/* SYSCALL: rcx = user rip, r11 = user rflags, IF/TF/DF/AC cleared by SFMASK. */
    .balign 16
    .globl syscall_entry
syscall_entry:
    swapgs
    movq %rsp, %gs:PERCPU_USER_RSP
    movq %gs:PERCPU_KERNEL_RSP, %rsp
    pushq $USER_SS
    pushq %gs:PERCPU_USER_RSP
    pushq %r11
    pushq $USER_CS
    pushq %rcx
    pushq $0
    pushq $0x100                /* kVectorSyscall */
    PUSH_GPRS
    /* The big kernel lock (smp.h: big_lock_acquire, inline here): the exchange, then any TLB
       flush another CPU asked for while this one was in user mode. Not with one CPU. */
    cmpl $0, big_lock_in_use(%rip)
    je 4f
    movl $1, %eax
    xchgl %eax, big_kernel_lock(%rip)
    testl %eax, %eax
    jz 3f
    call big_lock_contended
3:  cmpl $0, %gs:48             /* PerCpu::flush_request */
    je 4f
    call serve_flush_request
4:  movq %rsp, %rdi
    call syscall_dispatch
    jmp trap_return

/* enter_user_frame(TrapFrame*): leave the kernel through trap_return with the given frame. */
    .globl enter_user_frame
enter_user_frame:
    movq %rdi, %rsp
    jmp trap_return

/* User copies. A fault inside [usercopy_start, usercopy_end) that the page-fault handler cannot
 * resolve resumes at usercopy_fault, which returns 1 (copy_user) or -1 (copy_user_string). */
    .globl usercopy_start, usercopy_end, usercopy_fault
usercopy_start:
/* int copy_user(void* dest, const void* src, size_t n): 0 on success, 1 on fault. */
    .globl copy_user
copy_user:
    movq %rdx, %rcx
    shrq $3, %rcx
    rep movsq
    movq %rdx, %rcx
    andq $7, %rcx
    rep movsb
    xorl %eax, %eax
    ret
/* long copy_user_string(char* dest, const char* src, size_t capacity): length copied without
 * the NUL, -1 on fault, -2 when capacity is reached before the NUL. Eight bytes a step once
 * src is aligned (an aligned word never crosses into the next page, so the copy faults only
 * where a byte copy would): a word holds a NUL iff (w - 0x01..01) & ~w & 0x80..80 != 0. The
 * word with the NUL, and a tail shorter than a word of capacity, go byte by byte. */
/* One byte of copy_user_string: to 4 (capacity reached) or 5 (the NUL copied), else rax + 1. */
.macro string_byte
    cmpq %rdx, %rax
    jae 4f
    movb (%rsi,%rax), %cl
    movb %cl, (%rdi,%rax)
    testb %cl, %cl
    jz 5f
    incq %rax
.endm
    .globl copy_user_string
copy_user_string:
    xorl %eax, %eax
    movabsq $0x0101010101010101, %r8
    movabsq $0x8080808080808080, %r9
1:  leaq (%rsi,%rax), %rcx          /* bytes until src is aligned */
    testb $7, %cl
    jz 2f
    string_byte
    jmp 1b
2:  leaq 8(%rax), %r10              /* whole words while they fit the capacity */
    cmpq %rdx, %r10
    ja 3f
    movq (%rsi,%rax), %rcx
    movq %rcx, %r10
    subq %r8, %r10
    movq %rcx, %r11
    notq %r11
    andq %r11, %r10
    testq %r9, %r10
    jnz 3f
    movq %rcx, (%rdi,%rax)
    addq $8, %rax
    jmp 2b
3:  string_byte                     /* the rest byte by byte */
    jmp 3b
4:  movq $-2, %rax
5:  ret
usercopy_fault:
    movq $-1, %rax              /* copy_user callers test for non-zero */
    ret
usercopy_end:
