/* Memory latency by working-set size: a random pointer chase (one 64-byte
 * line a step) over 1 to 128 MB, nanoseconds a step. Where the step time
 * jumps is where this machine's share of cache ends.
 *
 *     cc -O2 bench/tools/chase.c -o /tmp/chase && /tmp/chase
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(){
  for (size_t mb = 1; mb <= 128; mb *= 2) {
    size_t n = mb*1024*1024/64;
    size_t *a = aligned_alloc(64, n*64);
    size_t *perm = malloc(n*sizeof(size_t));
    for (size_t i=0;i<n;i++) perm[i]=i;
    srand(1);
    for (size_t i=n-1;i>0;i--){ size_t j=((size_t)rand()*RAND_MAX+rand())%(i+1); size_t t=perm[i];perm[i]=perm[j];perm[j]=t;}
    for (size_t i=0;i<n;i++) a[perm[i]*8] = perm[(i+1)%n]*8;
    size_t p=0; for (size_t i=0;i<n;i++) p=a[p];
    struct timespec t0,t1; clock_gettime(CLOCK_MONOTONIC,&t0);
    size_t steps=20000000; for (size_t i=0;i<steps;i++) p=a[p];
    clock_gettime(CLOCK_MONOTONIC,&t1);
    double ns=((t1.tv_sec-t0.tv_sec)*1e9+(t1.tv_nsec-t0.tv_nsec))/steps;
    printf("%4zu MB: %.1f ns (%zu)\n", mb, ns, p%2);
    free(a); free(perm);
  }
}
