// The pod sandbox process: PID 1 of a pod's shared namespaces. It holds them
// open, reaps orphaned children, and exits on SIGINT/SIGTERM.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {
void stop(int) { _exit(0); }
void reap(int) {
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}
}  // namespace

int main() {
  struct sigaction action {};
  action.sa_handler = stop;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  action.sa_handler = reap;
  action.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  sigaction(SIGCHLD, &action, nullptr);
  for (;;) pause();
}
