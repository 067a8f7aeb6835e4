import sys

from trustdesk.webhook.app import main

sys.exit(main())
