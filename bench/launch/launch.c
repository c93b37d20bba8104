// SPDX-License-Identifier: BSD-2-Clause
// The launch harness of bench/run.sh. Starts N copies of a command at once and times each from
// its own fork to the moment its "ready" line was read AND it was reaped (teardown counts),
// for several rounds; or starts N idle sandboxes and reports the proportional set size (PSS)
// of every process each one keeps alive. Prints one JSON object on stdout.
//
//   stockade_launch_bench [-c N] [-r ROUNDS] [-w WARMUP] [-t SECONDS] [-e TEXT] [-l LABEL]
//                         -- COMMAND ARGS...
//   stockade_launch_bench --idle N -p PROGRAM [-l LABEL] [-s SETTLE_MS] -- COMMAND ARGS...
//
// SIGINT and SIGTERM end it cleanly: every launch still running gets SIGTERM, then SIGKILL
// after two seconds, and is reaped before the harness exits with 130.

#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LAUNCHES 512
#define OUT_CAPACITY 256
#define ERR_CAPACITY 4096

struct launch {
  pid_t pid;
  int pidfd, out, err;
  uint64_t start, ready, reaped;
  int status;
  struct rusage usage;  // the launcher's and every descendant it waited for
  bool seen_ready, exited, done;
  char out_text[OUT_CAPACITY];
  size_t out_length;
  char err_text[ERR_CAPACITY];
  size_t err_length;
};

static struct launch launches[MAX_LAUNCHES];
static int launch_count;
static volatile sig_atomic_t stop_requested;

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void die(const char* what) {
  fprintf(stderr, "stockade_launch_bench: %s: %s\n", what, strerror(errno));
  exit(2);
}

// Ends every launch that is still running: SIGTERM (stockade forwards it to the program and
// cleans up), SIGKILL after two seconds, then reaps them all.
static void end_all(void) {
  for (int i = 0; i < launch_count; ++i) {
    if (launches[i].pid > 0 && !launches[i].exited) kill(launches[i].pid, SIGTERM);
  }
  const uint64_t deadline = now_ns() + 2000000000u;
  for (int i = 0; i < launch_count; ++i) {
    struct launch* l = &launches[i];
    if (l->pid <= 0 || l->exited) continue;
    while (waitpid(l->pid, &l->status, WNOHANG) == 0) {
      if (now_ns() > deadline) {
        kill(l->pid, SIGKILL);
        waitpid(l->pid, &l->status, 0);
        break;
      }
      usleep(10000);
    }
    l->exited = true;
  }
}

static void close_launch(struct launch* l) {
  if (l->out >= 0) close(l->out);
  if (l->err >= 0) close(l->err);
  if (l->pidfd >= 0) close(l->pidfd);
  l->out = l->err = l->pidfd = -1;
}

static void start_launch(struct launch* l, char** argv, bool capture_out) {
  int out[2], err[2];
  memset(l, 0, sizeof(*l));
  l->out = l->err = l->pidfd = -1;
  if (pipe2(err, O_CLOEXEC) != 0) die("pipe2");
  if (capture_out && pipe2(out, O_CLOEXEC) != 0) die("pipe2");
  l->start = now_ns();
  l->pid = fork();
  if (l->pid < 0) die("fork");
  if (l->pid == 0) {
    const int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(capture_out ? out[1] : null, 1);
    dup2(err[1], 2);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    execvp(argv[0], argv);
    dprintf(2, "stockade_launch_bench: cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(err[1]);
  l->err = err[0];
  fcntl(l->err, F_SETFL, O_NONBLOCK);
  if (capture_out) {
    close(out[1]);
    l->out = out[0];
    fcntl(l->out, F_SETFL, O_NONBLOCK);
  }
  l->pidfd = (int)syscall(SYS_pidfd_open, l->pid, 0);
  if (l->pidfd < 0) die("pidfd_open");
}

// Appends what is readable; returns false at end of file.
static bool drain(int fd, char* buffer, size_t* length, size_t capacity) {
  char scratch[1024];
  while (true) {
    const ssize_t got = read(fd, scratch, sizeof(scratch));
    if (got == 0) return false;
    if (got < 0) return errno == EAGAIN || errno == EINTR;
    const size_t room = capacity - 1 - *length;
    const size_t take = (size_t)got < room ? (size_t)got : room;
    memcpy(buffer + *length, scratch, take);
    *length += take;
    buffer[*length] = '\0';
  }
}

static int compare_doubles(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

// Nearest-rank percentile of sorted values.
static double percentile(const double* sorted, int n, double p) {
  if (n == 0) return NAN;
  int rank = (int)ceil(p / 100.0 * n);
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return sorted[rank - 1];
}

static void print_json_string(const char* text) {
  putchar('"');
  for (const unsigned char* p = (const unsigned char*)text; *p; ++p) {
    if (*p == '"' || *p == '\\') {
      printf("\\%c", *p);
    } else if (*p == '\n') {
      printf("\\n");
    } else if (*p < 0x20) {
      printf("\\u%04x", *p);
    } else {
      putchar(*p);
    }
  }
  putchar('"');
}

static void loadavg(char* out, size_t size) {
  FILE* f = fopen("/proc/loadavg", "r");
  out[0] = '\0';
  if (!f) return;
  if (fgets(out, (int)size, f)) out[strcspn(out, "\n")] = '\0';
  fclose(f);
}

// Runs one round of `count` launches; returns its duration (first fork to last completion).
static uint64_t run_round(int count, char** argv, const char* expect, double timeout_s) {
  launch_count = count;
  for (int i = 0; i < count; ++i) start_launch(&launches[i], argv, true);
  const uint64_t first = launches[0].start;
  const uint64_t deadline = first + (uint64_t)(timeout_s * 1e9);
  int remaining = count;
  struct pollfd fds[MAX_LAUNCHES * 3];
  int owner[MAX_LAUNCHES * 3];
  while (remaining > 0 && !stop_requested) {
    int n = 0;
    for (int i = 0; i < count; ++i) {
      struct launch* l = &launches[i];
      if (l->done) continue;
      if (l->out >= 0) fds[n] = (struct pollfd){l->out, POLLIN, 0}, owner[n++] = i;
      if (l->err >= 0) fds[n] = (struct pollfd){l->err, POLLIN, 0}, owner[n++] = i;
      if (!l->exited) fds[n] = (struct pollfd){l->pidfd, POLLIN, 0}, owner[n++] = i;
    }
    const uint64_t t = now_ns();
    if (t >= deadline) break;
    const int ready = poll(fds, (nfds_t)n, (int)((deadline - t) / 1000000u) + 1);
    if (ready < 0 && errno != EINTR) die("poll");
    for (int k = 0; k < n && ready > 0; ++k) {
      if (!fds[k].revents) continue;
      struct launch* l = &launches[owner[k]];
      if (fds[k].fd == l->out) {
        if (!drain(l->out, l->out_text, &l->out_length, OUT_CAPACITY)) {
          close(l->out);
          l->out = -1;
        }
        if (!l->seen_ready && strstr(l->out_text, expect)) {
          l->seen_ready = true;
          l->ready = now_ns();
        }
      } else if (fds[k].fd == l->err) {
        if (!drain(l->err, l->err_text, &l->err_length, ERR_CAPACITY)) {
          close(l->err);
          l->err = -1;
        }
      } else if (fds[k].fd == l->pidfd && !l->exited) {
        if (wait4(l->pid, &l->status, 0, &l->usage) == l->pid) {
          l->exited = true;
          l->reaped = now_ns();
        }
      }
    }
    for (int i = 0; i < count; ++i) {
      struct launch* l = &launches[i];
      if (l->done || !l->exited) continue;
      // Done once reaped and either "ready" was read or stdout is closed (it never will be).
      if (l->seen_ready || l->out < 0) {
        if (l->err >= 0) drain(l->err, l->err_text, &l->err_length, ERR_CAPACITY);
        l->done = true;
        --remaining;
      }
    }
  }
  uint64_t last = first;
  for (int i = 0; i < count; ++i) {
    struct launch* l = &launches[i];
    if (!l->done) l->status = -1;  // timed out or interrupted
    const uint64_t end = l->ready > l->reaped ? l->ready : l->reaped;
    if (end > last) last = end;
  }
  end_all();
  for (int i = 0; i < count; ++i) close_launch(&launches[i]);
  return last - first;
}

static bool launch_ok(const struct launch* l) {
  return l->done && l->seen_ready && l->status >= 0 && WIFEXITED(l->status) &&
         WEXITSTATUS(l->status) == 0;
}

static int timing_mode(int concurrency, int rounds, int warmup, double timeout_s,
                       const char* expect, const char* label, char** argv) {
  double* latencies = calloc((size_t)concurrency * (size_t)rounds, sizeof(double));
  double* cpu = calloc((size_t)concurrency * (size_t)rounds, sizeof(double));
  if (!latencies || !cpu) die("calloc");
  double faults = 0;
  int n = 0, failures = 0;
  uint64_t busy = 0;
  char first_error[ERR_CAPACITY] = "";
  int first_status = 0;
  char load_before[128], load_after[128];
  loadavg(load_before, sizeof(load_before));
  for (int round = -warmup; round < rounds && !stop_requested; ++round) {
    const uint64_t duration = run_round(concurrency, argv, expect, timeout_s);
    if (stop_requested) break;
    for (int i = 0; i < concurrency; ++i) {
      const struct launch* l = &launches[i];
      if (!launch_ok(l)) {
        if (round >= 0) ++failures;
        if (!first_error[0]) {
          snprintf(first_error, sizeof(first_error), "%s", l->err_length ? l->err_text : "");
          first_status = l->status;
        }
        continue;
      }
      if (round < 0) continue;
      const uint64_t end = l->ready > l->reaped ? l->ready : l->reaped;
      cpu[n] = (double)(l->usage.ru_utime.tv_sec + l->usage.ru_stime.tv_sec) * 1e3 +
               (double)(l->usage.ru_utime.tv_usec + l->usage.ru_stime.tv_usec) / 1e3;
      faults += (double)l->usage.ru_minflt;
      latencies[n++] = (double)(end - l->start) / 1e6;
    }
    if (round >= 0) busy += duration;
  }
  if (stop_requested) return 130;
  loadavg(load_after, sizeof(load_after));
  qsort(latencies, (size_t)n, sizeof(double), compare_doubles);
  qsort(cpu, (size_t)n, sizeof(double), compare_doubles);
  double sum = 0, cpu_sum = 0;
  for (int i = 0; i < n; ++i) {
    sum += latencies[i];
    cpu_sum += cpu[i];
  }
  printf("{\"label\": ");
  print_json_string(label);
  printf(", \"concurrency\": %d, \"rounds\": %d, \"n\": %d, \"failures\": %d", concurrency, rounds,
         n, failures);
  if (n > 0) {
    printf(
        ", \"mean_ms\": %.3f, \"p50_ms\": %.3f, \"p95_ms\": %.3f, \"p99_ms\": %.3f, "
        "\"min_ms\": %.3f, \"max_ms\": %.3f, \"throughput_per_s\": %.1f",
        sum / n, percentile(latencies, n, 50), percentile(latencies, n, 95),
        percentile(latencies, n, 99), latencies[0], latencies[n - 1],
        busy ? (double)(rounds * concurrency) / ((double)busy / 1e9) : 0.0);
    // CPU time (user + system) of the launcher and what it waited for: unlike the latency it
    // hardly depends on the load of the machine.
    printf(", \"cpu_mean_ms\": %.3f, \"cpu_p50_ms\": %.3f, \"minor_faults_mean\": %.0f",
           cpu_sum / n, percentile(cpu, n, 50), faults / n);
  }
  printf(", \"loadavg_before\": ");
  print_json_string(load_before);
  printf(", \"loadavg_after\": ");
  print_json_string(load_after);
  if (first_error[0] || failures) {
    printf(", \"first_status\": %d, \"first_error\": ", first_status);
    print_json_string(first_error);
  }
  printf(", \"command\": [");
  for (char** a = argv; *a; ++a) {
    if (a != argv) printf(", ");
    print_json_string(*a);
  }
  printf("]}\n");
  free(latencies);
  free(cpu);
  return failures ? 1 : 0;
}

// ---- idle memory ----------------------------------------------------------------------------

struct proc_entry {
  pid_t pid, ppid;
  char comm[32];
};

// Every process on the system: pid, parent and command name, from /proc/PID/stat.
static int scan_processes(struct proc_entry* out, int capacity) {
  DIR* proc = opendir("/proc");
  if (!proc) die("opendir /proc");
  int n = 0;
  struct dirent* entry;
  while ((entry = readdir(proc)) && n < capacity) {
    if (!isdigit((unsigned char)entry->d_name[0])) continue;
    char path[300], text[512];
    snprintf(path, sizeof(path), "/proc/%s/stat", entry->d_name);
    FILE* f = fopen(path, "r");
    if (!f) continue;
    const size_t length = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[length] = '\0';
    char* open = strchr(text, '(');
    char* close = strrchr(text, ')');
    if (!open || !close) continue;
    struct proc_entry* p = &out[n];
    p->pid = atoi(text);
    const size_t name_length = (size_t)(close - open - 1);
    snprintf(p->comm, sizeof(p->comm), "%.*s", (int)name_length, open + 1);
    char state;
    if (sscanf(close + 2, "%c %d", &state, &p->ppid) != 2) continue;
    ++n;
  }
  closedir(proc);
  return n;
}

// The depth of `pid` below `root` (0: root itself), or -1 when it does not descend from it.
static int depth_below(const struct proc_entry* all, int n, pid_t pid, pid_t root) {
  for (int depth = 0; depth < 16; ++depth) {
    if (pid == root) return depth;
    pid_t parent = -1;
    for (int i = 0; i < n; ++i) {
      if (all[i].pid == pid) parent = all[i].ppid;
    }
    if (parent <= 1) return -1;
    pid = parent;
  }
  return -1;
}

struct rollup {
  long pss, rss, pss_anon, pss_file;  // kB
};

// The memory of one process, from /proc/PID/smaps_rollup.
static bool read_rollup(pid_t pid, struct rollup* r) {
  char path[64], line[256];
  snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
  FILE* f = fopen(path, "r");
  if (!f) return false;
  *r = (struct rollup){-1, -1, 0, 0};
  while (fgets(line, sizeof(line), f)) {
    if (strncmp(line, "Pss:", 4) == 0) r->pss = atol(line + 4);
    if (strncmp(line, "Rss:", 4) == 0) r->rss = atol(line + 4);
    if (strncmp(line, "Pss_Anon:", 9) == 0) r->pss_anon = atol(line + 9);
    if (strncmp(line, "Pss_File:", 9) == 0) r->pss_file = atol(line + 9);
  }
  fclose(f);
  return r->pss >= 0 && r->rss >= 0;
}

#define MAX_ROLES 16

struct role {
  int depth;
  char comm[32];
  bool program;
  int processes;
  long pss_kb, rss_kb, pss_anon_kb, pss_file_kb;
};

static int idle_mode(int count, const char* program, int settle_ms, const char* label,
                     char** argv) {
  static struct proc_entry all[65536];
  char load_before[128];
  loadavg(load_before, sizeof(load_before));
  launch_count = count;
  for (int i = 0; i < count; ++i) start_launch(&launches[i], argv, false);
  // Wait until every sandbox runs the program.
  const uint64_t deadline = now_ns() + 60000000000u;
  int running = 0, n = 0;
  while (!stop_requested && now_ns() < deadline) {
    n = scan_processes(all, 65536);
    running = 0;
    for (int i = 0; i < count; ++i) {
      for (int k = 0; k < n; ++k) {
        if (strcmp(all[k].comm, program) == 0 &&
            depth_below(all, n, all[k].pid, launches[i].pid) > 0) {
          ++running;
          break;
        }
      }
    }
    if (running == count) break;
    for (int i = 0; i < count; ++i) {
      int status;
      if (waitpid(launches[i].pid, &status, WNOHANG) == launches[i].pid) {
        launches[i].exited = true;
        drain(launches[i].err, launches[i].err_text, &launches[i].err_length, ERR_CAPACITY);
        fprintf(stderr, "stockade_launch_bench: launch %d ended before it was idle: %s\n", i,
                launches[i].err_text);
        end_all();
        return 1;
      }
    }
    usleep(20000);
  }
  if (running != count) {
    end_all();
    if (stop_requested) return 130;
    fprintf(stderr, "stockade_launch_bench: only %d of %d sandboxes started %s\n", running, count,
            program);
    return 1;
  }
  usleep((useconds_t)settle_ms * 1000);
  n = scan_processes(all, 65536);
  struct role roles[MAX_ROLES];
  int role_count = 0;
  long overhead_pss = 0, overhead_rss = 0, program_pss = 0, program_rss = 0;
  for (int i = 0; i < count; ++i) {
    for (int k = 0; k < n; ++k) {
      const int depth = depth_below(all, n, all[k].pid, launches[i].pid);
      if (depth < 0) continue;
      struct rollup m;
      if (!read_rollup(all[k].pid, &m)) continue;
      const long pss = m.pss, rss = m.rss;
      const bool is_program = strcmp(all[k].comm, program) == 0;
      if (is_program) {
        program_pss += pss;
        program_rss += rss;
      } else {
        overhead_pss += pss;
        overhead_rss += rss;
      }
      int r = 0;
      while (r < role_count && (roles[r].depth != depth || strcmp(roles[r].comm, all[k].comm))) ++r;
      if (r == role_count) {
        if (role_count == MAX_ROLES) continue;
        roles[r] = (struct role){depth, "", is_program, 0, 0, 0, 0, 0};
        snprintf(roles[r].comm, sizeof(roles[r].comm), "%s", all[k].comm);
        ++role_count;
      }
      roles[r].processes++;
      roles[r].pss_kb += pss;
      roles[r].rss_kb += rss;
      roles[r].pss_anon_kb += m.pss_anon;
      roles[r].pss_file_kb += m.pss_file;
    }
  }
  char load_after[128];
  loadavg(load_after, sizeof(load_after));
  end_all();
  for (int i = 0; i < count; ++i) close_launch(&launches[i]);
  printf("{\"label\": ");
  print_json_string(label);
  printf(
      ", \"sandboxes\": %d, \"overhead_pss_kb\": %.1f, \"overhead_rss_kb\": %.1f, "
      "\"program_pss_kb\": %.1f, \"program_rss_kb\": %.1f, \"processes\": [",
      count, (double)overhead_pss / count, (double)overhead_rss / count,
      (double)program_pss / count, (double)program_rss / count);
  for (int r = 0; r < role_count; ++r) {
    printf("%s{\"depth\": %d, \"comm\": ", r ? ", " : "", roles[r].depth);
    print_json_string(roles[r].comm);
    const double p = roles[r].processes;
    printf(
        ", \"program\": %s, \"per_sandbox\": %.2f, \"pss_kb\": %.1f, \"rss_kb\": %.1f, "
        "\"pss_anon_kb\": %.1f, \"pss_file_kb\": %.1f}",
        roles[r].program ? "true" : "false", p / count, roles[r].pss_kb / p, roles[r].rss_kb / p,
        roles[r].pss_anon_kb / p, roles[r].pss_file_kb / p);
  }
  printf("], \"loadavg_before\": ");
  print_json_string(load_before);
  printf(", \"loadavg_after\": ");
  print_json_string(load_after);
  printf(", \"command\": [");
  for (char** a = argv; *a; ++a) {
    if (a != argv) printf(", ");
    print_json_string(*a);
  }
  printf("]}\n");
  return 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: stockade_launch_bench [-c N] [-r ROUNDS] [-w WARMUP] [-t SECONDS] [-e TEXT] "
          "[-l LABEL] -- COMMAND ARGS...\n"
          "       stockade_launch_bench --idle N -p PROGRAM [-s SETTLE_MS] [-l LABEL] -- "
          "COMMAND ARGS...\n");
  exit(2);
}

int main(int argc, char** argv) {
  int concurrency = 1, rounds = 10, warmup = 1, idle = 0, settle_ms = 500;
  double timeout_s = 60;
  const char* expect = "ready\n";
  const char* label = "";
  const char* program = NULL;
  int i = 1;
  for (; i < argc; ++i) {
    const char* a = argv[i];
    if (strcmp(a, "--") == 0) {
      ++i;
      break;
    }
    if (i + 1 >= argc) usage();
    if (strcmp(a, "-c") == 0) {
      concurrency = atoi(argv[++i]);
    } else if (strcmp(a, "-r") == 0) {
      rounds = atoi(argv[++i]);
    } else if (strcmp(a, "-w") == 0) {
      warmup = atoi(argv[++i]);
    } else if (strcmp(a, "-t") == 0) {
      timeout_s = atof(argv[++i]);
    } else if (strcmp(a, "-e") == 0) {
      expect = argv[++i];
    } else if (strcmp(a, "-l") == 0) {
      label = argv[++i];
    } else if (strcmp(a, "--idle") == 0) {
      idle = atoi(argv[++i]);
    } else if (strcmp(a, "-p") == 0) {
      program = argv[++i];
    } else if (strcmp(a, "-s") == 0) {
      settle_ms = atoi(argv[++i]);
    } else {
      usage();
    }
  }
  if (i >= argc || concurrency < 1 || concurrency > MAX_LAUNCHES || rounds < 1 || warmup < 0 ||
      idle < 0 || idle > MAX_LAUNCHES || (idle && !program)) {
    usage();
  }
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = on_signal;  // no SA_RESTART: poll and usleep return early
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGTERM, &action, NULL);
  signal(SIGPIPE, SIG_IGN);
  const int rc = idle
                     ? idle_mode(idle, program, settle_ms, label, argv + i)
                     : timing_mode(concurrency, rounds, warmup, timeout_s, expect, label, argv + i);
  if (stop_requested) {
    end_all();
    return 130;
  }
  return rc;
}
