/* SPDX-License-Identifier: MIT */
/*
 * list.h: the library's one linked list, intrusive and circular, with a
 * head that is a node of its own (as libuv's queue.h and libdill's list.h).
 * Not installed.
 *
 * A record that goes on lists embeds a struct tomb_list per list it can be
 * on; the owner of the list keeps a struct tomb_list head.  An empty list
 * is a head that points to itself (tomb__list_init).  A node that is on no
 * list may hold anything: nothing here reads it before tomb__list_insert.
 * Every list is guarded by the lock its owner names next to its head.
 */
#ifndef TOMB_LIST_H
#define TOMB_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct tomb_list {
	struct tomb_list *prev, *next;
};

/* The record that embeds `node` as its `member`. */
#define tomb__list_entry(node, type, member) \
	((type *)(void *)((char *)(node) - offsetof(type, member)))

static inline void tomb__list_init(struct tomb_list *head)
{
	head->prev = head->next = head;
}

static inline bool tomb__list_empty(const struct tomb_list *head)
{
	return head->next == head;
}

/* Puts node just after pos (pos may be the head: the front). */
static inline void tomb__list_insert(struct tomb_list *pos,
                                     struct tomb_list *node)
{
	node->prev = pos;
	node->next = pos->next;
	pos->next->prev = node;
	pos->next = node;
}

static inline void tomb__list_push_front(struct tomb_list *head,
                                         struct tomb_list *node)
{
	tomb__list_insert(head, node);
}

static inline void tomb__list_push_back(struct tomb_list *head,
                                        struct tomb_list *node)
{
	tomb__list_insert(head->prev, node);
}

/* Takes node off the list it is on. */
static inline void tomb__list_remove(struct tomb_list *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	node->prev = node->next = NULL;
}

/* The first node, or NULL if the list is empty. */
static inline struct tomb_list *tomb__list_first(const struct tomb_list *head)
{
	return tomb__list_empty(head) ? NULL : head->next;
}

/* Takes the first node off the list: it, or NULL if the list is empty. */
static inline struct tomb_list *tomb__list_pop(struct tomb_list *head)
{
	struct tomb_list *node = tomb__list_first(head);

	if (node != NULL)
		tomb__list_remove(node);
	return node;
}

/* Takes the first node off a list that is not empty, and returns it. */
static inline struct tomb_list *tomb__list_shift(struct tomb_list *head)
{
	struct tomb_list *node = head->next;

	tomb__list_remove(node);
	return node;
}

/* Moves every node of src, in order, to the empty list dst; src is left
 * empty. */
static inline void tomb__list_take(struct tomb_list *dst, struct tomb_list *src)
{
	tomb__list_init(dst);
	if (tomb__list_empty(src))
		return;
	dst->next = src->next;
	dst->prev = src->prev;
	dst->next->prev = dst;
	dst->prev->next = dst;
	tomb__list_init(src);
}

/* For each node of the list, oldest first; the body must not remove `it`
 * (use tomb__list_pop for that). */
#define tomb__list_for_each(it, head) \
	for ((it) = (head)->next; (it) != (head); (it) = (it)->next)

#endif
