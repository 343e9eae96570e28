/* SPDX-License-Identifier: MIT */
/* The vDSO's bytes in the kernel image, page-aligned and padded to whole pages (they are mapped
 * into user space as they are, and nothing else may share their last page). */
    .section .rodata.vdso, "a"
    .balign 4096
    .globl wisp_vdso_image_start, wisp_vdso_image_end
wisp_vdso_image_start:
    .incbin WISP_VDSO_PATH
wisp_vdso_image_end:
    .balign 4096
    .section .note.GNU-stack, "", @progbits
