/*
 * min_send.c: the floor agentlogctl is measured against: connect to the
 * daemon's socket, write one line, exit.  No validation, no library.
 *
 *   min_send SOCKET 'EVENT-JSON'
 */
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path))
		return 2;
	strcpy(sa.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 1;
	n = strlen(argv[2]);
	argv[2][n] = '\n';      /* the NUL becomes the newline: one write */
	if (write(fd, argv[2], n + 1) != (ssize_t)(n + 1))
		return 1;
	close(fd);
	return 0;
}
