/* SPDX-License-Identifier: MIT */
/* switch_stacks(uint64_t* save_rsp, uint64_t new_rsp): the kernel half of a thread switch.
 * Saves the callee-saved registers on the current stack, stores rsp, loads the other thread's
 * rsp and pops its registers: returns in the other thread. A new thread's stack is prepared so
 * that this "returns" into thread_first_entry. */
    .text
    .globl switch_stacks
switch_stacks:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/* A new thread's first kernel instructions: its TrapFrame (the child's user context) is right
 * above; leave through the common exit path. */
    .globl thread_first_entry
thread_first_entry:
    jmp trap_return
