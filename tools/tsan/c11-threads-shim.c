/*
 * Lets ThreadSanitizer see librdkafka's threads.
 *
 * Debian's librdkafka starts its threads with C11 thrd_create, which glibc
 * implements without going through pthread_create, so TSan never learns of
 * them and crashes in their first allocation. Preloaded, this shim routes the
 * C11 thread calls through the (intercepted) pthread functions.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

struct start {
    thrd_start_t function;
    void *argument;
};

static void *trampoline(void *pointer) {
    struct start start = *(struct start *)pointer;
    free(pointer);
    return (void *)(intptr_t)start.function(start.argument);
}

int thrd_create(thrd_t *thread, thrd_start_t function, void *argument) {
    struct start *start = malloc(sizeof *start);
    if (start == NULL) return thrd_nomem;
    start->function = function;
    start->argument = argument;
    if (pthread_create((pthread_t *)thread, NULL, trampoline, start) != 0) {
        free(start);
        return thrd_error;
    }
    return thrd_success;
}

int thrd_join(thrd_t thread, int *result) {
    void *value = NULL;
    if (pthread_join((pthread_t)thread, &value) != 0) return thrd_error;
    if (result != NULL) *result = (int)(intptr_t)value;
    return thrd_success;
}

int thrd_detach(thrd_t thread) {
    return pthread_detach((pthread_t)thread) == 0 ? thrd_success : thrd_error;
}
