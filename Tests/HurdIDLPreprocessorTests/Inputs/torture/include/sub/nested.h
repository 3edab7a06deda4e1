/* Includes a sibling with the quote form: found next to this file. */
#include "sibling.h"
nested_body
