#include "common/tlserr.h"

#include <openssl/err.h>

const char *tls_err_string(char *buf, size_t len)
{
	unsigned long e = ERR_peek_error();
	if (!e)
		return "unknown error";
	ERR_error_string_n(e, buf, len);
	return buf;
}
