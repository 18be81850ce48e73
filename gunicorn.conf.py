# gunicorn reads this file from the working directory (the image's and the checkout's top level).
# Access log lines carry the path without its query string (%(U)s, not %(r)s): secrets such as
# iCalendar feed keys travel in the query and must not end up in logs. No referrer either.
access_log_format = '%(h)s - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'

# Request lines of up to 1 MB (0: gunicorn 27's own ceiling), so that Django answers an address that is
# too long with a 414 in the API's error shape (settings.MAX_URL_LENGTH) instead of gunicorn's page.
limit_request_line = 0
