module example.com/paas/hello-go

go 1.19
